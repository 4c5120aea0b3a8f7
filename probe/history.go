package probe

import (
	"encoding/json"
	"math"
	"time"
)

// HistoryPoint is one past result, kept for sparklines, uptime and
// flapping: HistoryLen of them per server, in every snapshot. A point
// holds its time (to the second), status and latency (to the microsecond)
// in 8 bytes: as a time.Time, a Status string and a time.Duration it took
// 48, and a 10,000-server fleet's full history 29 MB instead of 4.8.
type HistoryPoint struct {
	at   uint32 // Unix seconds; 0 for the zero time
	meta uint32 // the latency in microseconds (low latencyBits), the status above
}

const (
	latencyBits = 29 // 536 seconds, longer than any check is let run
	maxLatency  = 1<<latencyBits - 1
)

// Point is the history point of a result started at, with status st and
// latency lat. A status Statuses does not list is kept as unknown; times
// outside 1970–2106 as the zero time.
func Point(at time.Time, st Status, lat time.Duration) HistoryPoint {
	var p HistoryPoint
	if sec := at.Unix(); !at.IsZero() && sec > 0 && sec <= math.MaxUint32 {
		p.at = uint32(sec)
	}
	var code uint32 // 1 + its index in Statuses; 0 for ""
	if st != "" {
		code = uint32(len(Statuses)) // StatusUnknown's, unless found
		for i, s := range Statuses {
			if s == st {
				code = uint32(i + 1)
			}
		}
	}
	p.meta = code<<latencyBits | uint32(min(max(lat/time.Microsecond, 0), maxLatency))
	return p
}

// At is when the result's check started, to the second.
func (p HistoryPoint) At() time.Time {
	if p.at == 0 {
		return time.Time{}
	}
	return time.Unix(int64(p.at), 0)
}

// Status is the result's status.
func (p HistoryPoint) Status() Status {
	if code := p.meta >> latencyBits; code != 0 {
		return Statuses[code-1]
	}
	return ""
}

// Latency is the result's latency, to the microsecond.
func (p HistoryPoint) Latency() time.Duration {
	return time.Duration(p.meta&maxLatency) * time.Microsecond
}

// MarshalJSON writes the point as its fields.
func (p HistoryPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		At      time.Time     `json:"at"`
		Status  Status        `json:"status"`
		Latency time.Duration `json:"latency_ns"`
	}{p.At(), p.Status(), p.Latency()})
}
