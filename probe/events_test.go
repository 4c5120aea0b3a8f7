package probe

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// switchable serves a working MCP server, or 502 while down is set; the
// version it reports can change too.
type switchable struct {
	down    atomic.Bool
	mu      sync.Mutex
	version string
	h       http.Handler
}

func newSwitchable(version string) *switchable {
	s := &switchable{version: version}
	s.h = server.NewStreamableHTTPServer(server.NewMCPServer("sw", version, server.WithToolCapabilities(false)))
	return s
}

func (s *switchable) upgrade(version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = version
	s.h = server.NewStreamableHTTPServer(server.NewMCPServer("sw", version, server.WithToolCapabilities(false)))
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

// eventLog collects what the pool emits.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(ev Event) { l.mu.Lock(); l.evs = append(l.evs, ev); l.mu.Unlock() }
func (l *eventLog) take() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.evs
	l.evs = nil
	return evs
}

func switchPool(t *testing.T, sw *switchable) (*Pool, *eventLog) {
	t.Helper()
	return poolOf(t, "sw", sw, nil)
}

func TestStatusEventsAndSince(t *testing.T) {
	sw := newSwitchable("1.0.0")
	p, log := switchPool(t, sw)
	first := p.Sweep(context.Background())[0]
	evs := log.take()
	if len(evs) != 1 || evs[0].Kind != EventStatus || evs[0].From != "unknown" || evs[0].To != "healthy" {
		t.Fatalf("first check: events %+v", evs)
	}
	p.Sweep(context.Background())
	if evs := log.take(); len(evs) != 0 {
		t.Fatalf("nothing changed, yet events %+v", evs)
	}
	if since := p.Snapshot().Servers[0].Since; !since.Equal(first.Started) {
		t.Fatalf("since %v, want the first check's start %v", since, first.Started)
	}
	sw.down.Store(true)
	down := p.Sweep(context.Background())[0]
	evs = log.take()
	if len(evs) != 1 || evs[0].From != "healthy" || evs[0].To != "unhealthy" || evs[0].Class != "http.502" || evs[0].Reason == "" {
		t.Fatalf("going down: events %+v", evs)
	}
	if since := p.Snapshot().Servers[0].Since; !since.Equal(down.Started) {
		t.Fatalf("since %v, want %v", since, down.Started)
	}
}

func TestServerChangeIsAnEvent(t *testing.T) {
	sw := newSwitchable("1.0.0")
	p, log := switchPool(t, sw)
	p.Sweep(context.Background())
	log.take()
	sw.upgrade("2.4.0")
	p.Sweep(context.Background())
	evs := log.take()
	if len(evs) != 1 || evs[0].Kind != EventChange || evs[0].Class != ChangeServer ||
		evs[0].From != "sw 1.0.0" || evs[0].To != "sw 2.4.0" {
		t.Fatalf("events %+v, want one server.version change", evs)
	}
}

func TestFlappingWarning(t *testing.T) {
	sw := newSwitchable("1.0.0")
	p, log := switchPool(t, sw)
	for i := range flapChanges + 1 {
		sw.down.Store(i%2 == 1)
		p.Sweep(context.Background())
	}
	st := p.Snapshot().Servers[0]
	if len(st.Warnings) != 1 || st.Warnings[0].Class != WarnFlapping || st.Last.Status != StatusHealthy {
		t.Fatalf("after %d flips: %s, warnings %+v", flapChanges, st.Last.Status, st.Warnings)
	}
	var raised bool
	for _, ev := range log.take() {
		raised = raised || (ev.Kind == EventWarning && ev.To == WarnFlapping)
	}
	if !raised {
		t.Fatal("no event raised the flapping warning")
	}
	sw.down.Store(false)
	for range flapWindow {
		p.Sweep(context.Background())
	}
	if ws := p.Snapshot().Servers[0].Warnings; len(ws) != 0 {
		t.Fatalf("steady for %d checks, still warns %+v", flapWindow, ws)
	}
	evs := log.take()
	if len(evs) != 1 || evs[0].Kind != EventWarning || evs[0].From != WarnFlapping || evs[0].To != "" {
		t.Fatalf("clearing: events %+v", evs)
	}
}

func TestTokenRefreshWarning(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tok := &TokenInfo{Obtained: now.Add(-50 * time.Second), Expiry: now.Add(10 * time.Second), LastError: "token endpoint answered HTTP 500"}
	ws := warningsOf(tok, nil, now)
	if len(ws) != 1 || ws[0].Class != WarnTokenRefresh || !strings.Contains(ws[0].Message, "stays valid 10s more") ||
		!strings.Contains(ws[0].Message, "HTTP 500") {
		t.Fatalf("warnings %+v", ws)
	}
	if ws := warningsOf(tok, nil, now.Add(11*time.Second)); len(ws) != 0 {
		t.Fatalf("an expired token is an auth_error at the next check, not a warning: %+v", ws)
	}
	tok.LastError = ""
	if ws := warningsOf(tok, nil, now); len(ws) != 0 {
		t.Fatalf("a healthy token warns: %+v", ws)
	}
}
