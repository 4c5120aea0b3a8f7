package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/config"
)

// eraPool is a pool over one server whose requests are recorded.
func eraPool(t *testing.T, srv config.Server) *Pool {
	t.Helper()
	srv.Name = "srv"
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewPool(&config.File{Servers: []config.Server{srv}, Concurrency: 1, PerHost: 1}, NewChecker("test"))
}

func sweepOne(t *testing.T, p *Pool) Result {
	t.Helper()
	r := p.Sweep(context.Background())[0]
	if r.Status != StatusHealthy {
		t.Fatalf("%s %s %s: %s (%s)", r.Status, r.Stage, r.Class, r.Message, r.Detail)
	}
	return r
}

// An initialize-era server is sent server/discover only on the first check;
// later checks go straight to the remembered version.
func TestEraMemorySkipsDiscover(t *testing.T) {
	var w wire
	url := serve(t, w.around(legacyOnly(streamableHandler("old")))).URL
	p := eraPool(t, config.Server{URL: url, Transport: config.TransportAuto, Timeout: 2 * time.Second})

	first := sweepOne(t, p)
	firstWire := w.take()
	second := sweepOne(t, p)
	secondWire := w.take()
	t.Logf("first check: %d requests %v; second: %d requests %v", len(firstWire), firstWire, len(secondWire), secondWire)

	if n := count(firstWire, "POST server/discover"); n != 1 {
		t.Fatalf("first check sent server/discover %d times, want 1", n)
	}
	if n := count(secondWire, "POST server/discover"); n != 0 {
		t.Fatalf("second check sent server/discover %d times, want 0 (era remembered)", n)
	}
	if len(secondWire) >= len(firstWire) {
		t.Fatalf("second check made %d requests, first %d: memory saved nothing", len(secondWire), len(firstWire))
	}
	if !first.EraRemembered.IsZero() || second.EraRemembered.IsZero() {
		t.Fatalf("EraRemembered first %v second %v, want zero then set", first.EraRemembered, second.EraRemembered)
	}
	want(t, "remembered version", second.ProtocolVersion, "2025-11-25")
	want(t, "remembered era", second.Era, EraInitialize)
}

// A server that stops speaking the remembered era is renegotiated within the
// same check, not reported down.
func TestEraMemoryRenegotiatesWhenTheServerChanges(t *testing.T) {
	var upgraded atomic.Bool
	inner := streamableHandler("changing")
	old := legacyOnly(inner)
	// After the upgrade the server speaks only the stateless era.
	modern := rpcFault(inner, func(m string) (json.RawMessage, json.RawMessage) {
		if m == "initialize" {
			return nil, rpcError(-32601, "Method not found")
		}
		return nil, nil
	})
	var w wire
	url := serve(t, w.around(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if upgraded.Load() {
			modern.ServeHTTP(rw, r)
			return
		}
		old.ServeHTTP(rw, r)
	}))).URL
	p := eraPool(t, config.Server{URL: url, Timeout: 2 * time.Second})
	sweepOne(t, p)
	upgraded.Store(true)
	w.take()
	r := sweepOne(t, p)
	want(t, "era after the upgrade", r.Era, EraStateless)
	want(t, "protocol after the upgrade", r.ProtocolVersion, "2026-07-28")
	if !r.EraRemembered.IsZero() {
		t.Fatal("a renegotiated check must not claim a remembered era")
	}
	seen := w.take()
	if count(seen, "POST initialize") != 1 || count(seen, "POST server/discover") != 1 {
		t.Fatalf("wire %v: want the remembered initialize, then a fresh server/discover", seen)
	}
}

// Memory is dropped when the server's config changes and trusted for an hour.
func TestEraMemoryExpiresAndFollowsConfig(t *testing.T) {
	var w wire
	url := serve(t, w.around(legacyOnly(streamableHandler("old")))).URL
	srv := config.Server{Name: "srv", URL: url, Timeout: 2 * time.Second}
	p := eraPool(t, srv)
	discovers := func() int {
		sweepOne(t, p)
		return count(w.take(), "POST server/discover")
	}
	if n := discovers(); n != 1 {
		t.Fatalf("first check: %d discovers", n)
	}
	p.mu.Lock()
	p.byName["srv"].mem.Since = time.Now().Add(-renegotiateEvery)
	p.mu.Unlock()
	if n := discovers(); n != 1 {
		t.Fatalf("after an hour: %d discovers, want 1 (renegotiated)", n)
	}
	if n := discovers(); n != 0 {
		t.Fatalf("right after renegotiating: %d discovers, want 0", n)
	}
	srv.Timeout = 3 * time.Second
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	p.Apply(&config.File{Servers: []config.Server{srv}, Concurrency: 1, PerHost: 1})
	if n := discovers(); n != 1 {
		t.Fatalf("after a config change: %d discovers, want 1", n)
	}
}

// With transport auto, a legacy HTTP+SSE server found once is spoken to
// over SSE straight away on later checks.
func TestAutoTransportRemembered(t *testing.T) {
	var w wire
	var sse *server.SSEServer
	ts := httptest.NewServer(w.around(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { sse.ServeHTTP(rw, r) })))
	sse = server.NewSSEServer(newMCP("sse"), server.WithBaseURL(ts.URL))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sse.Shutdown(ctx)
		ts.Close()
	})
	p := eraPool(t, config.Server{URL: ts.URL + "/sse", Timeout: 2 * time.Second})
	first := sweepOne(t, p)
	firstWire := w.take()
	second := sweepOne(t, p)
	secondWire := w.take()
	t.Logf("first check: %v; second: %v", firstWire, secondWire)
	want(t, "transport", first.Transport, config.TransportSSE)
	want(t, "transport", second.Transport, config.TransportSSE)
	if len(secondWire) == 0 || secondWire[0] != "GET" {
		t.Fatalf("second check began with %v, want the SSE GET", secondWire)
	}
	if len(secondWire) >= len(firstWire) {
		t.Fatalf("second check made %d requests, first %d", len(secondWire), len(firstWire))
	}
}

// The retry after a -32022 is a new request: it carries an id of its own.
func TestVersionRetryHasItsOwnID(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	inner := rejectsFirstDiscover(streamableHandler("picky"), "2026-07-28")
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, id := peek(r); m == "server/discover" {
			mu.Lock()
			ids = append(ids, string(id))
			mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	})).URL
	srv := config.Server{Name: "srv", URL: url, Timeout: 2 * time.Second}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	if r := NewChecker("test").Check(context.Background(), &srv); r.Status != StatusHealthy {
		t.Fatalf("%s %s: %s", r.Status, r.Class, r.Message)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("server/discover ids %v, want two different ones", ids)
	}
}

// With transport auto, an SSE server that shakes hands and then fails is
// reported by what the SSE session found, not by the 405 of the first POST.
func TestAutoReportsTheSSEFailure(t *testing.T) {
	var sse *server.SSEServer
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if m, _ := peek(r); m == "ping" && r.URL.Path != "/sse" {
			http.Error(rw, "ping broke", http.StatusInternalServerError)
			return
		}
		sse.ServeHTTP(rw, r)
	}))
	sse = server.NewSSEServer(newMCP("sse"), server.WithBaseURL(ts.URL))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sse.Shutdown(ctx)
		ts.Close()
	})
	srv := config.Server{Name: "srv", URL: ts.URL + "/sse", Timeout: 2 * time.Second}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	r := NewChecker("test").Check(context.Background(), &srv)
	if r.Status != StatusUnhealthy || r.Stage != StageLiveness || r.Transport != config.TransportSSE {
		t.Fatalf("%s at %s over %q (%s: %s), want unhealthy at liveness over sse", r.Status, r.Stage, r.Transport, r.Class, r.Message)
	}
}
