package probe

import (
	"encoding/json"
	"testing"
	"time"
	"unsafe"
)

// TestHistoryPointKeepsWhatViewsRead: a point gives back its time to the
// second, its status and its latency to the microsecond, in 8 bytes.
func TestHistoryPointKeepsWhatViewsRead(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC)
	for _, st := range Statuses {
		p := Point(at, st, 1234567*time.Nanosecond)
		if !p.At().Equal(at.Truncate(time.Second)) || p.Status() != st || p.Latency() != 1234*time.Microsecond {
			t.Fatalf("%s: got %v %s %v", st, p.At(), p.Status(), p.Latency())
		}
	}
	if p := Point(time.Time{}, "", 0); !p.At().IsZero() || p.Status() != "" || p.Latency() != 0 {
		t.Fatalf("zero point: %v %q %v", p.At(), p.Status(), p.Latency())
	}
	if p := Point(at, "bogus", -time.Second); p.Status() != StatusUnknown || p.Latency() != 0 {
		t.Fatalf("a status not listed and a negative latency: %s %v", p.Status(), p.Latency())
	}
	if p := Point(at, StatusUnhealthy, 24*time.Hour); p.Latency() != maxLatency*time.Microsecond || p.Status() != StatusUnhealthy {
		t.Fatalf("a latency past the range is not kept at its top, beside its status: %v %s", p.Latency(), p.Status())
	}
	if p := Point(time.Unix(-5, 0), StatusHealthy, 0); !p.At().IsZero() {
		t.Fatalf("a time before 1970 is kept as %v", p.At())
	}
	if n := unsafe.Sizeof(HistoryPoint{}); n != 8 {
		t.Fatalf("a history point takes %d bytes, want 8", n)
	}
}

// TestHistoryPointJSON: a point encodes as its three fields did.
func TestHistoryPointJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	got, err := json.Marshal(Point(at, StatusDegraded, 2500*time.Microsecond))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(struct {
		At      time.Time     `json:"at"`
		Status  Status        `json:"status"`
		Latency time.Duration `json:"latency_ns"`
	}{at.Local(), StatusDegraded, 2500 * time.Microsecond})
	if string(got) != string(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}
