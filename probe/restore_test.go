package probe

import (
	"context"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// Disabled servers are skipped without a connection, so their results (and
// so what Restore does with them) need no peer.
func restorePool(names ...string) *Pool {
	cfg := &config.File{Path: "restore", Concurrency: 4, PerHost: 4}
	for _, n := range names {
		cfg.Servers = append(cfg.Servers, config.Server{Name: n, URL: "http://127.0.0.1:9/mcp", Disabled: true,
			Transport: config.TransportHTTP, Interval: time.Minute, Timeout: time.Second, Slow: time.Second})
	}
	return NewPool(cfg, NewChecker("test"))
}

func TestRestoreKeepsSinceOfAnUnchangedStatus(t *testing.T) {
	pool := restorePool("same", "changed", "fresh")
	var log eventLog
	pool.OnEvent(log.add)
	since := time.Now().Add(-12 * time.Minute).Truncate(time.Second)
	pool.Restore(map[string]Restored{
		"same":    {Status: StatusSkipped, Since: since},
		"changed": {Status: StatusUnhealthy, Since: since},
		"absent":  {Status: StatusHealthy, Since: since}, // not in the pool: ignored
	})
	// Before the first result nothing shows: unknown, no Since.
	for _, s := range pool.Snapshot().Servers {
		if s.Last.Status != StatusUnknown || !s.Since.IsZero() {
			t.Fatalf("%s before its first check: %s since %v", s.Name, s.Last.Status, s.Since)
		}
	}
	pool.Sweep(context.Background())
	byName := map[string]*ServerState{}
	for _, s := range pool.Snapshot().Servers {
		byName[s.Name] = s
	}
	if got := byName["same"].Since; !got.Equal(since) {
		t.Errorf("same status after restore: Since = %v, want the restored %v", got, since)
	}
	if got := byName["changed"].Since; got.Equal(since) || got.IsZero() {
		t.Errorf("changed status after restore: Since = %v, want the new result's start", got)
	}
	if got := byName["fresh"].Since; got.IsZero() || got.Equal(since) {
		t.Errorf("not restored: Since = %v, want the first result's start", got)
	}
	evs := map[string]Event{}
	for _, ev := range log.take() {
		if ev.Kind == EventStatus {
			evs[ev.Server] = ev
		}
	}
	if ev, ok := evs["same"]; ok {
		t.Errorf("same status as restored raised %+v; want no event", ev)
	}
	if ev := evs["changed"]; ev.From != string(StatusUnhealthy) || ev.To != string(StatusSkipped) {
		t.Errorf("changed: event %+v, want unhealthy → skipped", ev)
	}
	if ev := evs["fresh"]; ev.From != string(StatusUnknown) || ev.To != string(StatusSkipped) {
		t.Errorf("fresh: event %+v, want unknown → skipped", ev)
	}

	// The restored state is used once: a second result compares with the first.
	pool.Sweep(context.Background())
	if evs := log.take(); len(evs) != 0 {
		t.Errorf("second sweep raised %+v; want nothing", evs)
	}
	if got := pool.Snapshot().Servers[0].Since; !got.Equal(since) {
		t.Errorf("same after a second result: Since = %v, want %v", got, since)
	}
}

func TestRestoreIgnoresUnknownAndCheckedServers(t *testing.T) {
	pool := restorePool("a", "b")
	pool.Sweep(context.Background())
	first := pool.Snapshot().Servers[0].Since
	old := first.Add(-time.Hour)
	pool.Restore(map[string]Restored{
		"a": {Status: StatusSkipped, Since: old}, // already checked: too late
		"b": {Status: StatusUnknown, Since: old}, // nothing known
	})
	pool.Sweep(context.Background())
	for _, s := range pool.Snapshot().Servers {
		if s.Since.Equal(old) {
			t.Errorf("%s took a restore it should have ignored", s.Name)
		}
	}
}
