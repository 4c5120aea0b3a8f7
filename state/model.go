package state

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// LastState is a server's last known status, since when it has had it, and
// when it was last checked (the start of its newest result).
type LastState struct {
	Status probe.Status `json:"status"`
	Since  time.Time    `json:"since"`
	Seen   time.Time    `json:"seen,omitzero"`
}

// Window counts one server's results over a time window: Checked are those
// that reached a verdict on the server (healthy, degraded, unhealthy,
// auth_error; skipped and unknown do not count) and Up those of them that
// were healthy or degraded.
type Window struct {
	Up      int `json:"up"`
	Checked int `json:"checked"`
}

// Ratio is Up/Checked; ok is false when nothing was checked.
func (w Window) Ratio() (ratio float64, ok bool) {
	if w.Checked == 0 {
		return 0, false
	}
	return float64(w.Up) / float64(w.Checked), true
}

// Uptime of one server over the last hour, day and week. Results are
// counted in buckets (5 minutes for the hour, an hour for the day and the
// week), so each window starts at a bucket boundary: the hour covers 55 to
// 60 minutes, the day 23 to 24 hours, the week 167 to 168 hours.
type Uptime struct {
	Hour Window `json:"1h"`
	Day  Window `json:"24h"`
	Week Window `json:"7d"`
}

const (
	hourSlots   = 168 // hourly buckets: a week
	fiveSlots   = 12  // five-minute buckets: an hour
	fiveMinutes = 300 // seconds in a five-minute bucket
)

// slot is one bucket of a ring: which bucket (hours or five minutes since
// the epoch) and its counts. The counts are 16 bits: at one check a second
// (the shortest interval) an hour holds 3,600; rechecks beyond 65,535 in
// one bucket are not counted. A week of buckets is 1.3 KiB a server, not 2.
type slot struct {
	idx         int32
	up, checked uint16
}

// add counts one result in the ring slot for bucket idx. A slot still
// holding an older bucket is reset; a result older than the slot's bucket
// (it fell out of the window) is not counted.
func (s *slot) add(idx int32, up bool) bool {
	switch {
	case idx < s.idx:
		return false
	case idx > s.idx:
		*s = slot{idx: idx}
	}
	if s.checked == math.MaxUint16 {
		return false
	}
	s.checked++
	if up {
		s.up++
	}
	return true
}

// serverModel is what the store keeps in memory for one server: uptime
// buckets (ring.go) and its last state. 576 bytes a server, 928 while
// something in its week was down.
type serverModel struct {
	hours hourRing
	fives fiveRing
	last  LastState
	// Lowest bucket changed since the last snapshot was written (0: none),
	// and whether last changed.
	dirtyH, dirtyF int32
	dirtyLast      bool
}

func hourIdx(t time.Time) int32 { return int32(t.Unix() / 3600) }
func fiveIdx(t time.Time) int32 { return int32(t.Unix() / fiveMinutes) }

// counted reports whether a status counts towards uptime, and as up.
func counted(st probe.Status) (checked, up bool) {
	switch st {
	case probe.StatusHealthy, probe.StatusDegraded:
		return true, true
	case probe.StatusAuthError, probe.StatusUnhealthy:
		return true, false
	}
	return false, false
}

func (m *serverModel) addResult(at time.Time, st probe.Status) {
	if at.Unix() <= 0 {
		return
	}
	if at.After(m.last.Seen) {
		m.last.Seen = at
		m.dirtyLast = true
	}
	checked, up := counted(st)
	if !checked {
		return
	}
	h, f := hourIdx(at), fiveIdx(at)
	if m.hours.add(h, up) && (m.dirtyH == 0 || h < m.dirtyH) {
		m.dirtyH = h
	}
	if m.fives.add(f, up) && (m.dirtyF == 0 || f < m.dirtyF) {
		m.dirtyF = f
	}
}

func (m *serverModel) uptime(now time.Time) Uptime {
	var u Uptime
	h, f := hourIdx(now), fiveIdx(now)
	for x := max(h, m.hours.newest) - hourSlots + 1; x <= min(h, m.hours.newest); x++ {
		s := m.hours.slot(x)
		u.Week.Up += int(s.up)
		u.Week.Checked += int(s.checked)
		if x > h-24 {
			u.Day.Up += int(s.up)
			u.Day.Checked += int(s.checked)
		}
	}
	for _, s := range m.fives {
		if s.idx > f-fiveSlots && s.idx <= f {
			u.Hour.Up += int(s.up)
			u.Hour.Checked += int(s.checked)
		}
	}
	return u
}

// resultRec is one result as the store keeps it: no message, no detail,
// nothing a peer wrote but the short machine class.
// Compact, and with few pointers for the collector: queues and a disk
// backlog can hold many.
type resultRec struct {
	server  string
	class   string
	at      int64 // start, Unix nanoseconds
	latency time.Duration
	status  byte // statusCode
}

// model is the store's memory: every view reads it, never the disk. The
// writer goroutine applies each drained batch to it, then writes the batch.
type model struct {
	mu        sync.RWMutex
	servers   map[string]*serverModel
	events    []probe.Event // ascending by At; the newest maxEvents within retention
	maxEvents int
}

func newModel(maxEvents int) *model {
	return &model{servers: map[string]*serverModel{}, maxEvents: maxEvents}
}

// serverLocked returns name's model, creating it.
func (m *model) serverLocked(name string) *serverModel {
	sm, ok := m.servers[name]
	if !ok {
		sm = &serverModel{}
		m.servers[name] = sm
	}
	return sm
}

// apply counts results and keeps events. Status events move the server's
// last state: it is what the pool said, so a restored Since survives here
// exactly when it survives in the pool.
func (m *model) apply(results []resultRec, events []probe.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range results {
		r := &results[i]
		m.serverLocked(r.server).addResult(time.Unix(0, r.at), statusOf(r.status))
	}
	for _, ev := range events {
		m.insertLocked(ev)
		if ev.Kind == probe.EventStatus {
			sm := m.serverLocked(ev.Server)
			sm.last.Status, sm.last.Since, sm.dirtyLast = probe.Status(ev.To), ev.At, true
			if ev.At.After(sm.last.Seen) {
				sm.last.Seen = ev.At
			}
		}
	}
	// Trimmed in steps, not at every batch, so a full timeline is not
	// copied every second.
	if len(m.events) > m.maxEvents+m.maxEvents/4 {
		m.events = slices.Clone(m.events[len(m.events)-m.maxEvents:])
	}
}

// insertLocked keeps events sorted by time; they nearly always come in order.
func (m *model) insertLocked(ev probe.Event) {
	i := len(m.events)
	for i > 0 && m.events[i-1].At.After(ev.At) {
		i--
	}
	m.events = slices.Insert(m.events, i, ev)
}

// pruneEvents drops events older than cutoff.
func (m *model) pruneEvents(cutoff time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := sort.Search(len(m.events), func(i int) bool { return !m.events[i].At.Before(cutoff) })
	if i > 0 {
		m.events = slices.Clone(m.events[i:])
	}
}

// Query selects events.
type Query struct {
	Servers []string  // only these servers; none: every server
	Since   time.Time // only events at or after Since; zero: all that are kept
	Limit   int       // at most this many, the newest; 0: no limit
}

func (q *Query) match(ev *probe.Event) bool {
	return (q.Since.IsZero() || !ev.At.Before(q.Since)) && (len(q.Servers) == 0 || slices.Contains(q.Servers, ev.Server))
}

func (m *model) query(q Query) []probe.Event {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []probe.Event
	for i := len(m.events) - 1; i >= 0; i-- {
		ev := &m.events[i]
		if !q.Since.IsZero() && ev.At.Before(q.Since) {
			break
		}
		if q.match(ev) {
			out = append(out, *ev)
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
	}
	return out
}

func (m *model) uptime(server string, now time.Time) Uptime {
	m.mu.RLock()
	defer m.mu.RUnlock()
	sm, ok := m.servers[server]
	if !ok {
		return Uptime{}
	}
	return sm.uptime(now)
}

func (m *model) lastStates() map[string]LastState {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]LastState, len(m.servers))
	for name, sm := range m.servers {
		if sm.last.Status != "" {
			out[name] = sm.last
		}
	}
	return out
}

func (m *model) serverNames() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.servers))
	for name := range m.servers {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
