package probe

import (
	"encoding/json"
	"testing"
	"time"
	"unsafe"
)

// TestHistoryPointKeepsWhatViewsRead: a point gives back its time to the
// nanosecond, its status and its latency to the microsecond, in 16 bytes.
func TestHistoryPointKeepsWhatViewsRead(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC)
	for _, st := range Statuses {
		p := Point(at, st, 1234567*time.Nanosecond)
		if !p.At().Equal(at) || p.Status() != st || p.Latency() != 1234*time.Microsecond {
			t.Fatalf("%s: got %v %s %v", st, p.At(), p.Status(), p.Latency())
		}
	}
	if p := Point(time.Time{}, "", 0); !p.At().IsZero() || p.Status() != "" || p.Latency() != 0 {
		t.Fatalf("zero point: %v %q %v", p.At(), p.Status(), p.Latency())
	}
	if p := Point(at, "bogus", -time.Second); p.Status() != StatusUnknown || p.Latency() != 0 {
		t.Fatalf("a status not listed and a negative latency: %s %v", p.Status(), p.Latency())
	}
	if p := Point(at, StatusHealthy, 24*time.Hour); p.Latency() < 35*time.Minute || p.Latency() > 36*time.Minute {
		t.Fatalf("a latency past the range is not kept at its top: %v", p.Latency())
	}
	if n := unsafe.Sizeof(HistoryPoint{}); n != 16 {
		t.Fatalf("a history point takes %d bytes, want 16", n)
	}
}

// TestHistoryPointJSON: a point encodes as its three fields did.
func TestHistoryPointJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 5000, time.UTC)
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
