package probe

import (
	"reflect"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// Apply switches the pool to a new config without a restart: added servers
// are checked at once, removed ones stop (a check in flight is discarded),
// changed ones restart their schedule. Unchanged servers keep their state;
// tokens live in the shared cache, keyed by credentials, so they survive too.
// A changed server keeps its history only while it still points at the same
// target (URL, transport and auth); otherwise the old history would lie.
func (p *Pool) Apply(cfg *config.File) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	next := make([]*entry, 0, len(cfg.Servers))
	byName := make(map[string]*entry, len(cfg.Servers))
	for i := range cfg.Servers {
		s := &cfg.Servers[i] // as in NewPool; also for an unchanged server, so the old config is not kept
		e, ok := p.byName[s.Name]
		switch {
		case !ok:
			e = &entry{srv: s, host: hostOf(s.URL), index: -1, next: now, last: &Result{Server: s.Name, Status: StatusUnknown}}
			p.queue.push(e)
		case !sameServer(*e.srv, *s):
			if !sameTarget(*e.srv, *s) {
				e.history, e.last, e.checks = nil, &Result{Server: s.Name, Status: StatusUnknown}, 0
				e.restored, e.since, e.warnings = nil, time.Time{}, nil // an earlier run's state was of the old target
			}
			e.srv, e.host, e.next = s, hostOf(s.URL), now
			e.mem, e.issuer = nil, ""    // a changed config negotiates and trusts afresh
			e.inv = e.inv.withoutLists() // and lists afresh; the pin stays (inventory_pool.go)
			if e.index >= 0 {
				p.queue.fix(e)
			} else if !e.checking {
				p.queue.push(e)
			}
		}
		e.srv = s
		e.state = nil // the config may have changed what a snapshot shows of it
		next = append(next, e)
		byName[s.Name] = e
	}
	for name, e := range p.byName {
		if _, kept := byName[name]; kept {
			continue
		}
		e.removed = true
		if e.index >= 0 {
			p.queue.remove(e)
		}
	}
	p.entries, p.byName = next, byName
	if c := max(cfg.Concurrency, 1); c != cap(p.global) {
		p.global = make(chan struct{}, c)
	}
	if ph := max(cfg.PerHost, 1); ph != p.perHost {
		p.perHost, p.hosts = ph, map[string]*hostSlots{}
	}
	p.configErr = ""
	p.version++
	p.signal()
}

// SetConfigError records why the newest config could not be applied; views
// show it until a good config arrives (Apply clears it). The running config
// stays in force meanwhile.
func (p *Pool) SetConfigError(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.configErr != msg {
		p.configErr = msg
		p.version++
	}
}

func sameServer(a, b config.Server) bool {
	a.Pos, b.Pos = config.Position{}, config.Position{}
	return reflect.DeepEqual(a, b)
}

func sameTarget(a, b config.Server) bool {
	// For stdio the target is the process; allow_stdio is not part of it.
	a.Stdio.Allowed, b.Stdio.Allowed = false, false
	return a.URL == b.URL && a.Transport == b.Transport && reflect.DeepEqual(a.Auth, b.Auth) &&
		reflect.DeepEqual(a.Stdio, b.Stdio)
}
