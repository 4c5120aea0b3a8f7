package state

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// base is the instant the fake clocks start from: now, as a second process
// in a test uses the real clock (and prunes by it).
var base = time.Now().Truncate(time.Second)

// clock is a fake clock shared with the writer goroutine.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// openTest opens a store in dir (memory when "") that writes only when the
// test calls Flush or Close.
func openTest(t *testing.T, dir string, c *clock, edit ...func(*Options)) *Store {
	t.Helper()
	opts := Options{Dir: dir, FlushEvery: time.Hour, now: c.now}
	for _, e := range edit {
		e(&opts)
	}
	s := Open(opts)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func result(server string, at time.Time, st probe.Status) probe.Result {
	return probe.Result{Server: server, Status: st, Started: at, Latency: 12 * time.Millisecond}
}

func statusEvent(server string, at time.Time, from, to probe.Status) probe.Event {
	return probe.Event{At: at, Server: server, Kind: probe.EventStatus, From: string(from), To: string(to),
		Class: "connect.refused", Reason: fmt.Sprintf("%s went %s", server, to)}
}

// fleetHistory records a small history: pay failing since 12 minutes ago
// after being healthy, docs healthy all along, and results for both.
func fleetHistory(s *Store, now time.Time) []probe.Event {
	evs := []probe.Event{
		statusEvent("docs", now.Add(-2*time.Hour), probe.StatusUnknown, probe.StatusHealthy),
		statusEvent("pay", now.Add(-2*time.Hour), probe.StatusUnknown, probe.StatusHealthy),
		{At: now.Add(-time.Hour), Server: "pay", Kind: probe.EventWarning, To: probe.WarnFlapping, Class: probe.WarnFlapping, Reason: "flapping: 4 changes"},
		statusEvent("pay", now.Add(-12*time.Minute), probe.StatusHealthy, probe.StatusUnhealthy),
	}
	for _, ev := range evs {
		s.RecordEvent(ev)
	}
	for at := now.Add(-2 * time.Hour); at.Before(now); at = at.Add(time.Minute) {
		s.RecordResult(result("docs", at, probe.StatusHealthy))
		st := probe.StatusHealthy
		if at.After(now.Add(-12 * time.Minute)) {
			st = probe.StatusUnhealthy
		}
		s.RecordResult(result("pay", at, st))
	}
	slices.Reverse(evs) // newest first, as Events returns them
	return evs
}

func sameEvents(t *testing.T, what string, got, want []probe.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d:\n got %+v\nwant %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.At.Equal(w.At) || g.Server != w.Server || g.Kind != w.Kind || g.From != w.From || g.To != w.To || g.Class != w.Class || g.Reason != w.Reason {
			t.Errorf("%s: event %d = %+v, want %+v", what, i, g, w)
		}
	}
}
