package probe

import "time"

// Restored is what an earlier run of mcpwatch knew of a server: its last
// status and when that status began. The state store keeps it across
// restarts.
type Restored struct {
	Status Status
	Since  time.Time
}

// Restore seeds the pool with what an earlier run knew, so that a server
// failing before a restart and failing after it is still "failing since
// 12m", not since the restart. It changes nothing a view sees until each
// server's first result arrives: a server is unknown until checked. Then,
// for that first result only, the restored status stands in for unknown:
// the same status keeps the restored Since and raises no event; a different
// one is an event from the restored status. Call it before Run or Sweep;
// names not in the pool are ignored.
func (p *Pool) Restore(states map[string]Restored) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, r := range states {
		if e, ok := p.byName[name]; ok && e.checks == 0 && r.Status != "" && r.Status != StatusUnknown && !r.Since.IsZero() {
			e.restored = &r
		}
	}
}

// previousLocked is what e's newest result is compared with: its last
// result, or before its first one the state an earlier run left (whose
// Since then becomes e's). The restored state is used once.
func (e *entry) previousLocked() *Result {
	r := e.restored
	e.restored = nil
	if r == nil || e.checks > 0 || e.last.Status != StatusUnknown {
		return e.last
	}
	e.since = r.Since
	return &Result{Server: e.srv.Name, Status: r.Status}
}
