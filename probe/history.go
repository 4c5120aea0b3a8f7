package probe

import (
	"encoding/json"
	"math"
	"time"
)

// HistoryPoint is one past result, kept for sparklines, uptime and
// flapping: HistoryLen of them per server, in every snapshot. A point
// holds its time, status and latency in 16 bytes: as a time.Time, a Status
// string and a time.Duration it took 48, and a 10,000-server fleet's full
// history 29 MB instead of 9.6.
type HistoryPoint struct {
	at      int64 // Unix nanoseconds; 0 for the zero time
	latency int32 // microseconds, at most math.MaxInt32 (35 minutes)
	status  uint8 // 1 + its index in Statuses; 0 for ""
}

// Point is the history point of a result started at, with status st and
// latency lat. A status Statuses does not list is kept as unknown.
func Point(at time.Time, st Status, lat time.Duration) HistoryPoint {
	p := HistoryPoint{latency: int32(min(max(lat/time.Microsecond, 0), math.MaxInt32))}
	if !at.IsZero() {
		p.at = at.UnixNano()
	}
	if st != "" {
		p.status = uint8(len(Statuses)) // StatusUnknown's, unless found
		for i, s := range Statuses {
			if s == st {
				p.status = uint8(i + 1)
			}
		}
	}
	return p
}

// At is when the result's check started.
func (p HistoryPoint) At() time.Time {
	if p.at == 0 {
		return time.Time{}
	}
	return time.Unix(0, p.at)
}

// Status is the result's status.
func (p HistoryPoint) Status() Status {
	if p.status == 0 {
		return ""
	}
	return Statuses[p.status-1]
}

// Latency is the result's latency, to the microsecond.
func (p HistoryPoint) Latency() time.Duration { return time.Duration(p.latency) * time.Microsecond }

// MarshalJSON writes the point as its fields.
func (p HistoryPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		At      time.Time     `json:"at"`
		Status  Status        `json:"status"`
		Latency time.Duration `json:"latency_ns"`
	}{p.At(), p.Status(), p.Latency()})
}
