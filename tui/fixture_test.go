package tui

import (
	"fmt"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
)

// now is the pinned clock of every test.
var now = time.Date(2026, 3, 14, 15, 4, 5, 0, time.UTC)

// fakeSource serves crafted snapshots and records rechecks.
type fakeSource struct {
	mu        sync.Mutex
	snap      *probe.Snapshot
	snapshots int
	rechecks  []string
	all       int
}

func newFake(snap *probe.Snapshot) *fakeSource { return &fakeSource{snap: snap} }

func (f *fakeSource) Snapshot() *probe.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots++
	return f.snap
}

func (f *fakeSource) Recheck(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.snap.Servers {
		if s.Name == name {
			f.rechecks = append(f.rechecks, name)
			return true
		}
	}
	return false
}

func (f *fakeSource) RecheckAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.all++
}

// set replaces the snapshot, with a new version, after edit changed a copy.
func (f *fakeSource) set(edit func(s *probe.Snapshot)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := *f.snap
	next.Servers = make([]*probe.ServerState, len(f.snap.Servers))
	for i, st := range f.snap.Servers { // copies: a snapshot's states are never changed
		c, last := *st, *st.Last
		c.Last = &last
		next.Servers[i] = &c
	}
	next.Version++
	edit(&next)
	f.snap = &next
}

func (f *fakeSource) recorded() (rechecks []string, all int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rechecks...), f.all
}

// history is n points ending at the last check, every interval, with
// latencies from lat; statuses from st cycle the same way.
func history(n int, lat []time.Duration, st []probe.Status) []probe.HistoryPoint {
	h := make([]probe.HistoryPoint, n)
	for i := range h {
		status, latency := st[i%len(st)], lat[i%len(lat)]
		if status.Failing() {
			latency = 0
		}
		h[i] = probe.Point(now.Add(-time.Duration(n-i)*30*time.Second), status, latency)
	}
	return h
}

var (
	ms    = time.Millisecond
	lats  = []time.Duration{40 * ms, 52 * ms, 38 * ms, 61 * ms, 120 * ms, 45 * ms, 43 * ms}
	fine  = []probe.Status{probe.StatusHealthy}
	flaky = []probe.Status{probe.StatusHealthy, probe.StatusHealthy, probe.StatusUnhealthy, probe.StatusHealthy}
)

func stages(failAt probe.Stage, names ...probe.Stage) []probe.StageTiming {
	var out []probe.StageTiming
	for i, n := range names {
		out = append(out, probe.StageTiming{Stage: n, Duration: time.Duration(10+i*17) * ms, OK: n != failAt})
	}
	return out
}

// fleet is one server in every state the table can show.
func fleet() *probe.Snapshot {
	cc := "oauth2 client_credentials"
	tokenURL := "https://auth.example.com/oauth2/token"
	return &probe.Snapshot{
		Taken:   now,
		Version: 1,
		Source:  "/etc/mcpwatch/mcpwatch.yaml",
		Servers: []*probe.ServerState{
			{
				Name: "billing-api", URL: "https://billing.example.com/mcp", Transport: "http", AuthKind: cc,
				Tags: []string{"prod", "finance"},
				Last: &probe.Result{
					Server: "billing-api", Status: probe.StatusAuthError, Stage: probe.StageToken,
					Class:   "token.invalid_client",
					Message: "token endpoint refused the client: invalid_client (HTTP 401)",
					Detail: "token request to https://auth.example.com/oauth2/token failed:\n" +
						"HTTP 401 Unauthorized: {\"error\":\"invalid_client\",\"error_description\":\"client authentication failed: the client secret does not match the one registered for client billing-mcpwatch\"}",
					Started: now.Add(-12 * time.Second), Total: 180 * ms,
					Stages: stages(probe.StageToken, probe.StageToken),
				},
				History:   history(20, lats, []probe.Status{probe.StatusHealthy, probe.StatusAuthError}),
				NextCheck: now.Add(18 * time.Second),
				Since:     now.Add(-12*time.Minute - 40*time.Second),
				Token: &probe.TokenInfo{
					TokenURL: tokenURL, TokenURLSource: "discovered", Scopes: []string{"billing:read"},
					RequestedScopes: []string{"billing:read"}, ScopeSource: "challenge",
					LastError: "invalid_client: client authentication failed", LastErrorAt: now.Add(-12 * time.Second),
				},
			},
			{
				Name: "search", URL: "https://search.internal:8443/mcp", Transport: "http", AuthKind: "bearer",
				Tags: []string{"prod"},
				Last: &probe.Result{
					Server: "search", Status: probe.StatusUnhealthy, Stage: probe.StageConnect, Class: "connect.refused",
					Message: "connection refused", Detail: "dial tcp 10.0.4.12:8443: connect: connection refused",
					Started: now.Add(-4 * time.Second), Total: 3 * ms,
					Stages: stages(probe.StageConnect, probe.StageConnect),
				},
				History:   history(60, lats, flaky),
				NextCheck: now.Add(26 * time.Second),
				Since:     now.Add(-3 * time.Minute),
				Warnings: []probe.Warning{{Class: probe.WarnFlapping,
					Message: "flapping: changed between failing and working 10 times in the last 20 checks"}},
			},
			{
				Name: "slow-docs", URL: "https://docs.example.com/mcp", Transport: "sse", AuthKind: "none",
				Last: &probe.Result{
					Server: "slow-docs", Status: probe.StatusDegraded, Message: "answered in 2.41s, slower than 2s",
					Started: now.Add(-25 * time.Second), Latency: 2410 * ms, Total: 2430 * ms,
					Stages:          stages("", probe.StageConnect, probe.StageHandshake, probe.StageLiveness),
					ProtocolVersion: "2025-03-26", ServerName: "docs", ServerVersion: "0.9.1", LivenessMethod: "tools/list",
				},
				History: history(60, []time.Duration{900 * ms, 1200 * ms, 2100 * ms, 2410 * ms}, fine),
				Since:   now.Add(-41 * time.Minute),
			},
			{
				Name: "github-tools", URL: "https://mcp.github.example/mcp", Transport: "http", AuthKind: cc,
				Tags: []string{"prod", "dev"},
				Last: &probe.Result{
					Server: "github-tools", Status: probe.StatusHealthy,
					Started: now.Add(-7 * time.Second), Latency: 84 * ms, Total: 260 * ms,
					Stages:          stages("", probe.StageToken, probe.StageConnect, probe.StageHandshake, probe.StageLiveness),
					ProtocolVersion: "2025-11-25", ServerName: "github-mcp-server", ServerVersion: "1.4.2", LivenessMethod: "ping",
				},
				History:   history(60, lats, fine),
				NextCheck: now.Add(23 * time.Second),
				Since:     now.Add(-5*time.Hour - 3*time.Minute),
				Token: &probe.TokenInfo{
					TokenURL: tokenURL, TokenURLSource: "configured", Scopes: []string{"repo:read", "issues:read"},
					RequestedScopes: []string{"repo:read", "issues:read"}, ScopeSource: "configured",
					Obtained: now.Add(-56*time.Minute + 12*time.Second), Expiry: now.Add(4*time.Minute + 12*time.Second),
				},
			},
			{
				Name: "crm", URL: "https://crm.example.com/mcp", Transport: "http", AuthKind: cc,
				Last: &probe.Result{
					Server: "crm", Status: probe.StatusHealthy, Started: now.Add(-3 * time.Minute), Latency: 132 * ms,
					LivenessMethod: "ping", ProtocolVersion: "2025-06-18",
				},
				History: history(12, lats, fine),
				Since:   now.Add(-50 * time.Hour),
				Warnings: []probe.Warning{{Class: probe.WarnTokenRefresh,
					Message: "token refresh failing (token endpoint unreachable: dial tcp: i/o timeout); the current token stays valid 1m55s more"}},
				Token: &probe.TokenInfo{
					TokenURL: tokenURL, TokenURLSource: "discovered",
					Obtained: now.Add(-58 * time.Minute), Expiry: now.Add(95 * time.Second),
					LastError: "token endpoint unreachable: dial tcp: i/o timeout", LastErrorAt: now.Add(-20 * time.Second),
				},
			},
			{
				Name: "wiki", URL: "https://wiki.example.com/mcp", Transport: "http", AuthKind: cc, Checking: true,
				Last: &probe.Result{
					Server: "wiki", Status: probe.StatusHealthy, Started: now.Add(-31 * time.Second), Latency: 61 * ms,
					LivenessMethod: "server/discover", ProtocolVersion: "2026-07-28",
				},
				History: history(30, lats, fine),
				Since:   now.Add(-20 * time.Second),
				Token: &probe.TokenInfo{
					TokenURL: tokenURL, TokenURLSource: "configured", ExpiryDefaulted: true,
					Obtained: now.Add(-10 * time.Minute), Expiry: now.Add(50 * time.Minute),
				},
			},
			{
				Name: "calendar", URL: "https://cal.example.com/mcp", Transport: "http", AuthKind: cc,
				Last: &probe.Result{
					Server: "calendar", Status: probe.StatusHealthy, Started: now.Add(-45 * time.Second), Latency: 73 * ms,
					LivenessMethod: "ping",
				},
				History: history(8, lats, fine),
				Since:   now.Add(-3 * time.Hour),
				Token: &probe.TokenInfo{
					TokenURL: tokenURL, TokenURLSource: "discovered", Refreshing: true,
					Obtained: now.Add(-59 * time.Minute), Expiry: now.Add(40 * time.Second),
				},
			},
			{
				Name: "reports", URL: "https://reports.example.com/mcp", Transport: "http", AuthKind: cc,
				Last: &probe.Result{
					Server: "reports", Status: probe.StatusUnhealthy, Stage: probe.StageHandshake, Class: "http.502",
					Message: "server answered HTTP 502 Bad Gateway to initialize", Started: now.Add(-2 * time.Hour),
				},
				History: history(5, lats, flaky),
				Since:   now.Add(-2 * time.Hour),
				Token: &probe.TokenInfo{
					TokenURL: tokenURL, TokenURLSource: "configured",
					Obtained: now.Add(-3 * time.Hour), Expiry: now.Add(-2 * time.Hour),
				},
			},
			{
				Name: "user-notes", URL: "https://notes.example.com/mcp", Transport: "http", AuthKind: "oauth2 authorization_code",
				Last: &probe.Result{
					Server: "user-notes", Status: probe.StatusSkipped, Stage: probe.StageConfig, Class: "skip.user_login",
					Message: "oauth2 authorization_code needs a user login", Started: now.Add(-9 * time.Second),
				},
				Since: now.Add(-70 * time.Minute),
			},
			{
				Name: "payroll", URL: "https://payroll.example.com/mcp", Transport: "http", AuthKind: "bearer",
				Tags: []string{"finance"},
				Last: &probe.Result{
					Server: "payroll", Status: probe.StatusSkipped, Stage: probe.StageConfig, Class: "skip.secret",
					Message: "secret env PAYROLL_TOKEN is not set", Started: now.Add(-9 * time.Second),
				},
				Since: now.Add(-70 * time.Minute),
			},
			{
				Name: "new-server", URL: "https://new.example.com/mcp", Transport: "http", AuthKind: "none",
				Last: &probe.Result{Server: "new-server", Status: probe.StatusUnknown},
			},
		},
	}
}

// bigFleet is n servers cycling through the fleet's states, for benchmarks.
func bigFleet(n int) *probe.Snapshot {
	base := fleet()
	snap := &probe.Snapshot{Taken: now, Version: 1, Source: base.Source, Servers: make([]*probe.ServerState, n)}
	for i := range snap.Servers {
		st := *base.Servers[i%len(base.Servers)]
		last := *st.Last
		st.Name = fmt.Sprintf("%s-%05d", st.Name, i)
		last.Server, st.Last = st.Name, &last
		st.Checking = false
		snap.Servers[i] = &st
	}
	return snap
}

func newModel(src Source, w, h int) Model { return newModelWith(src, w, h, Options{}) }

// newModelWith is newModel with options; colour is off and the clock pinned.
func newModelWith(src Source, w, h int, opts Options) Model {
	opts.Color, opts.Now = "never", func() time.Time { return now }
	m := New(src, opts)
	return update(m, tea.WindowSizeMsg{Width: w, Height: h})
}

// fakeHistory is a state store with a crafted timeline, newest first.
type fakeHistory struct {
	mu      sync.Mutex
	version uint64
	events  []probe.Event
	uptime  map[string]state.Uptime
	notice  string
	reads   int // Events calls
}

var _ History = (*state.Store)(nil) // the store is a History as it is

func (h *fakeHistory) Version() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.version
}

func (h *fakeHistory) Events(q state.Query) []probe.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads++
	var out []probe.Event
	for _, ev := range h.events {
		if (len(q.Servers) == 0 || slices.Contains(q.Servers, ev.Server)) && (q.Limit == 0 || len(out) < q.Limit) {
			out = append(out, ev)
		}
	}
	return out
}

func (h *fakeHistory) Uptime(server string) state.Uptime {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.uptime[server]
}

func (h *fakeHistory) Notice() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.notice
}

// add puts an event on top of the timeline and moves the version.
func (h *fakeHistory) add(ev probe.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append([]probe.Event{ev}, h.events...)
	h.version++
}

// timeline is the fleet's recent past, as the state store would tell it.
func timeline() *fakeHistory {
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	st := func(d time.Duration, server, from, to, class, reason string) probe.Event {
		return probe.Event{At: at(d), Server: server, Kind: probe.EventStatus, From: from, To: to, Class: class, Reason: reason}
	}
	return &fakeHistory{
		version: 1,
		events: []probe.Event{
			{At: at(7 * time.Second), Server: "github-tools", Kind: probe.EventChange, From: "2025-06-18", To: "2025-11-25", Class: probe.ChangeProtocol},
			{At: at(20 * time.Second), Server: "crm", Kind: probe.EventWarning, To: probe.WarnTokenRefresh, Class: probe.WarnTokenRefresh,
				Reason: "token refresh failing (token endpoint unreachable: dial tcp: i/o timeout); the current token stays valid 1m55s more"},
			st(3*time.Minute, "search", "healthy", "unhealthy", "connect.refused", "connection refused"),
			{At: at(3 * time.Minute), Server: "search", Kind: probe.EventWarning, To: probe.WarnFlapping, Class: probe.WarnFlapping,
				Reason: "flapping: changed between failing and working 10 times in the last 20 checks"},
			st(4*time.Minute, "search", "unhealthy", "healthy", "", ""),
			st(12*time.Minute+40*time.Second, "billing-api", "healthy", "auth_error", "token.invalid_client", "token endpoint refused the client: invalid_client (HTTP 401)"),
			{At: at(20 * time.Minute), Server: "crm", Kind: probe.EventWarning, From: probe.WarnTokenRefresh, Class: probe.WarnTokenRefresh, Reason: "cleared"},
			st(41*time.Minute, "slow-docs", "healthy", "degraded", "slow", "answered in 2.41s, slower than 2s"),
			{At: at(5 * time.Hour), Server: "github-tools", Kind: probe.EventChange, From: "github-mcp-server 1.4.1", To: "github-mcp-server 1.4.2", Class: probe.ChangeServer},
			st(26*time.Hour, "crm", "unhealthy", "healthy", "", ""),
		},
		uptime: map[string]state.Uptime{
			"crm":         {Hour: state.Window{Up: 12, Checked: 12}, Day: state.Window{Up: 499, Checked: 500}, Week: state.Window{Up: 951, Checked: 1000}},
			"billing-api": {Hour: state.Window{Up: 0, Checked: 12}, Day: state.Window{Up: 43, Checked: 100}, Week: state.Window{Up: 912, Checked: 1000}},
		},
	}
}
