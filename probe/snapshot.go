package probe

import (
	"slices"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// ServerState is one server as a view sees it.
type ServerState struct {
	Name      string         `json:"name"`
	URL       string         `json:"url"`
	Transport string         `json:"transport"`
	AuthKind  string         `json:"auth"` // none, bearer, header, basic, oauth2 client_credentials …
	Tags      []string       `json:"tags,omitempty"`
	Last      *Result        `json:"last"` // never nil; shared with the pool, never changed
	Checking  bool           `json:"checking"`
	Checks    uint64         `json:"checks"` // completed checks since start
	NextCheck time.Time      `json:"next_check,omitzero"`
	History   []HistoryPoint `json:"history,omitempty"`
	// Token is live: it reflects refreshes made since the last check.
	Token *TokenInfo `json:"token,omitempty"`
	// Warnings beside the status (token refresh failing, flapping).
	Warnings []Warning `json:"warnings,omitempty"`
	// Since is when the current status began, as far as this process knows
	// (or the state store remembered); zero before the first check.
	Since time.Time `json:"since,omitzero"`
	// Inventory is the pinned and current inventory and how they differ
	// (inventory_pool.go); nil before the first list or with inventory off.
	Inventory *InventoryState `json:"inventory,omitempty"`
}

// Uptime is the share of checked history points that were healthy or degraded.
func (s ServerState) Uptime() (ratio float64, ok bool) {
	var up, n int
	for _, h := range s.History {
		switch h.Status() {
		case StatusHealthy, StatusDegraded:
			up++
			n++
		case StatusAuthError, StatusUnhealthy:
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return float64(up) / float64(n), true
}

// Snapshot is an immutable copy of the pool's state. Version changes whenever
// anything in it may have, so a view can skip work when it has not.
type Snapshot struct {
	Taken   time.Time `json:"taken_at"`
	Version uint64    `json:"version"`
	Source  string    `json:"source"`
	// ConfigError is why the newest config file could not be applied (with
	// file:line:col); the servers shown are from the last good one.
	ConfigError string `json:"config_error,omitempty"`
	// Notice is a line about where the snapshot comes from, when that is
	// in trouble (a Prometheus that cannot be read: the servers shown are
	// as of Taken). A pool never sets it.
	Notice string `json:"notice,omitempty"`
	// Servers are shared between snapshots: a server's state is replaced,
	// never changed, so a new snapshot copies only the servers that changed
	// since the last (at 10,000 servers a copy of all was 5 MB and 6–20 ms).
	// Readers must not modify them.
	Servers []*ServerState `json:"servers"`
}

// Counts is the number of servers per status.
func (s *Snapshot) Counts() map[Status]int {
	c := make(map[Status]int, len(Statuses))
	for _, st := range s.Servers {
		c[st.Last.Status]++
	}
	return c
}

// Snapshot returns the pool's state. Results and histories are never
// mutated once stored, so sharing their backing arrays keeps it immutable;
// each server's ServerState is made again only when its entry changed.
//
// The snapshot is kept until the version changes: every SSH viewer and every
// metrics scrape polls, and one snapshot per change serves them all. Taken is
// when it was made.
func (p *Pool) Snapshot() *Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastSnap != nil && p.lastSnap.Version == p.version {
		return p.lastSnap
	}
	var tokens uint64
	if p.checker != nil && p.checker.Tokens != nil {
		tokens = p.checker.Tokens.Generation()
	}
	snap := &Snapshot{Taken: time.Now(), Version: p.version, Source: p.source, ConfigError: p.configErr,
		Servers: make([]*ServerState, len(p.entries))}
	for i, e := range p.entries {
		if st := e.stampLocked(tokens); e.state == nil || st != e.stamp {
			e.state, e.stamp = p.stateLocked(e), st
		}
		snap.Servers[i] = e.state
	}
	p.lastSnap = snap
	return snap
}

// stateStamp is what an entry's ServerState is made of, in a form cheap to
// compare: slices and inventory by identity (they are replaced, never
// changed), the result by the check count that moves with it. A config
// reload, which changes the rest, drops the entry's state (reload.go).
type stateStamp struct {
	checks      uint64
	checking    bool
	next, since time.Time
	history     *HistoryPoint
	nHistory    int
	warnings    *Warning
	nWarnings   int
	inv         *invState
	tokens      uint64 // the token cache's generation, for a live token
}

func (e *entry) stampLocked(tokens uint64) stateStamp {
	st := stateStamp{checks: e.checks, checking: e.checking, next: e.next, since: e.since, inv: e.inv,
		nHistory: len(e.history), nWarnings: len(e.warnings)}
	if len(e.history) > 0 {
		st.history = &e.history[0]
	}
	if len(e.warnings) > 0 {
		st.warnings = &e.warnings[0]
	}
	if e.creds != nil && e.last.Token != nil {
		st.tokens = tokens
	}
	return st
}

// stateLocked makes e's ServerState afresh.
func (p *Pool) stateLocked(e *entry) *ServerState {
	return &ServerState{
		Name: e.srv.Name, URL: target(e.srv), Transport: e.srv.Transport, AuthKind: authKind(e.srv),
		Tags: e.srv.Tags, Last: e.last, Checking: e.checking, Checks: e.checks, NextCheck: e.next, History: e.history,
		Token: p.liveTokenLocked(e), Warnings: e.warnings, Since: e.since, Inventory: e.inventoryStateLocked(),
	}
}

// target is where a server is: its URL, or for a stdio server the command
// that starts it. Arguments are left out: people pass API keys in them, and
// nothing here may put a secret on a screen or in metrics.
func target(s *config.Server) string {
	if s.Transport != config.TransportStdio {
		return s.URL
	}
	if len(s.Stdio.Args) > 0 {
		return "stdio: " + s.Stdio.Command + " …"
	}
	return "stdio: " + s.Stdio.Command
}

func authKind(s *config.Server) string {
	switch s.Auth.Type {
	case "", config.AuthNone:
		return "none"
	case config.AuthOAuth2:
		switch s.Auth.Flow { // constants: a snapshot names every server's auth
		case "", config.FlowClientCredentials:
			return "oauth2 " + config.FlowClientCredentials
		case config.FlowAuthorizationCode:
			return "oauth2 " + config.FlowAuthorizationCode
		}
		return "oauth2 " + s.Auth.Flow
	}
	return s.Auth.Type
}

// liveTokenLocked is e's token state now: the last check's, updated with
// refreshes made since, scrubbed like the check's own result.
func (p *Pool) liveTokenLocked(e *entry) *TokenInfo {
	if e.creds == nil || e.last.Token == nil {
		return e.last.Token
	}
	info, ok := p.checker.Tokens.Info(*e.creds)
	if !ok {
		return e.last.Token
	}
	last := e.last.Token
	if info.Obtained.Equal(last.Obtained) && info.Expiry.Equal(last.Expiry) && info.ExpiryDefaulted == last.ExpiryDefaulted &&
		slices.Equal(info.Scopes, last.Scopes) && info.Refreshing == last.Refreshing &&
		info.LastError == last.LastError && info.LastErrorAt.Equal(last.LastErrorAt) {
		// Nothing changed since the check (a scrubbed error equal to the
		// raw one held no secret): the check's own copy serves.
		return last
	}
	live := *last
	live.Obtained, live.Expiry, live.ExpiryDefaulted = info.Obtained, info.Expiry, info.ExpiryDefaulted
	live.Scopes, live.Refreshing = info.Scopes, info.Refreshing
	live.LastError, live.LastErrorAt = info.LastError, info.LastErrorAt
	if info.TLS != nil {
		live.TLS = info.TLS
	}
	scrubToken(&live, e.forms) // the endpoint may have answered a refresh since the check
	return p.shareToken(&live)
}
