package probe

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// fakeClock is a settable clock for token lifetimes.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestSharedClientOneTokenPerLifetime: 1,000 servers that share one client
// make exactly one token request per token lifetime.
func TestSharedClientOneTokenPerLifetime(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	as, asURL, mcpURL := sharedClientServer(t, clock.Now)

	cfg := &config.File{Path: "test", Concurrency: 64, PerHost: 64}
	for i := range 1000 {
		cfg.Servers = append(cfg.Servers, config.Server{
			Name: fmt.Sprintf("s%04d", i), URL: mcpURL, Transport: config.TransportHTTP,
			// Generous: this counts token requests; 1,000 checks against one
			// loopback server under -race on a busy machine can take seconds each.
			Interval: time.Minute, Timeout: time.Minute, Slow: time.Hour,
			Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
				ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, TokenURL: asURL + "/token", Resource: "https://gateway.example/"},
		})
	}
	checker := &Checker{Tokens: oauth.NewTokenCache(oauth.Options{Now: clock.Now}), Version: "test"}
	pool := NewPool(cfg, checker)

	sweep := func() {
		for _, r := range pool.Sweep(context.Background()) {
			if r.Status != StatusHealthy {
				t.Fatalf("%s: %s %s %s", r.Server, r.Status, r.Class, r.Message)
			}
		}
	}
	sweep()
	if n := as.Requests(); n != 1 {
		t.Fatalf("after one sweep: %d token requests, want 1", n)
	}
	clock.Add(30 * time.Minute)
	sweep()
	if n := as.Requests(); n != 1 {
		t.Fatalf("within the lifetime: %d token requests, want still 1", n)
	}
	clock.Add(31 * time.Minute) // past expiry
	sweep()
	if n := as.Requests(); n != 2 {
		t.Fatalf("after expiry: %d token requests, want 2", n)
	}
}

// sharedClientServer starts a token endpoint that knows testClient (its
// secret in MCPW_TEST_SECRET) and one MCP server it protects.
func sharedClientServer(t *testing.T, now func() time.Time) (as *authserver.Server, asURL, mcpURL string) {
	t.Helper()
	as = authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour, Now: now})
	asURL = serve(t, as).URL
	as.SetIssuer(asURL)
	t.Setenv("MCPW_TEST_SECRET", testSecret)
	mcpURL = serve(t, as.Protect(streamableHandler("shared"), authserver.Protection{})).URL
	return as, asURL, mcpURL
}

func TestPoolRunRecheckAndSnapshot(t *testing.T) {
	url := serve(t, streamableHandler("a")).URL
	cfg := &config.File{Path: "test", Concurrency: 4, PerHost: 2, Servers: []config.Server{
		{Name: "a", URL: url, Transport: config.TransportHTTP, Interval: time.Hour, Timeout: 5 * time.Second, Slow: 5 * time.Second},
		{Name: "b", URL: url, Transport: config.TransportHTTP, Interval: time.Hour, Timeout: 5 * time.Second, Slow: 5 * time.Second, Disabled: true},
	}}
	pool := NewPool(cfg, NewChecker("test"))
	snap := pool.Snapshot()
	if snap.Servers[0].Last.Status != StatusUnknown {
		t.Fatalf("before any check: %s, want unknown", snap.Servers[0].Last.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()

	waitFor(t, pool, func(s *Snapshot) bool { return len(s.Servers[0].History) == 1 && len(s.Servers[1].History) == 1 })
	first := pool.Snapshot()
	if first.Servers[0].Last.Status != StatusHealthy || first.Servers[1].Last.Status != StatusSkipped {
		t.Fatalf("statuses %s/%s", first.Servers[0].Last.Status, first.Servers[1].Last.Status)
	}
	if !pool.Recheck("a") || pool.Recheck("nope") {
		t.Fatal("Recheck reports existence wrongly")
	}
	waitFor(t, pool, func(s *Snapshot) bool { return len(s.Servers[0].History) == 2 })
	if len(first.Servers[0].History) != 1 {
		t.Fatal("an earlier snapshot changed after a later check: snapshots must be immutable")
	}
	pool.RecheckAll()
	waitFor(t, pool, func(s *Snapshot) bool { return len(s.Servers[0].History) == 3 && len(s.Servers[1].History) == 2 })
	cancel()
	<-done
}

// TestRecheckMergesWithCheckInFlight: a recheck while a check runs starts no second one.
func TestRecheckMergesWithCheckInFlight(t *testing.T) {
	url := serve(t, slowly(300*time.Millisecond, streamableHandler("slow"))).URL
	cfg := &config.File{Path: "test", Concurrency: 4, PerHost: 4, Servers: []config.Server{
		{Name: "a", URL: url, Transport: config.TransportHTTP, Interval: time.Hour, Timeout: 5 * time.Second, Slow: 5 * time.Second},
	}}
	pool := NewPool(cfg, NewChecker("test"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	waitFor(t, pool, func(s *Snapshot) bool { return s.Servers[0].Checking })
	for range 5 {
		pool.Recheck("a")
	}
	waitFor(t, pool, func(s *Snapshot) bool { return len(s.Servers[0].History) == 1 && !s.Servers[0].Checking })
	time.Sleep(100 * time.Millisecond) // would be enough for a merged-away recheck to start
	if s := pool.Snapshot(); s.Servers[0].Checking || len(s.Servers[0].History) != 1 {
		t.Fatalf("checking=%v history=%d: rechecks during a check must merge with it", s.Servers[0].Checking, len(s.Servers[0].History))
	}
	cancel()
	<-done
}

func TestHistoryIsBounded(t *testing.T) {
	var h []HistoryPoint
	for i := range HistoryLen + 10 {
		h = appendHistory(h, Point(time.Time{}, StatusHealthy, time.Duration(i)*time.Microsecond))
	}
	if len(h) != HistoryLen || h[len(h)-1].Latency() != (HistoryLen+9)*time.Microsecond || h[0].Latency() != 10*time.Microsecond {
		t.Fatalf("history len %d, first %v, last %v", len(h), h[0].Latency(), h[len(h)-1].Latency())
	}
}

func waitFor(t *testing.T, p *Pool, cond func(*Snapshot) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond(p.Snapshot()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not met within 10s")
}

// TestPanicInCheckCostsOneVerdict: a panic during a check becomes an
// unhealthy result for that server; the pool and the process go on.
func TestPanicInCheckCostsOneVerdict(t *testing.T) {
	calls := 0
	checker := NewChecker("test")
	checker.Now = func() time.Time {
		calls++
		if calls == 2 {
			panic("injected fault")
		}
		return time.Now()
	}
	cfg := &config.File{Path: "test", Concurrency: 1, PerHost: 1, Servers: []config.Server{
		{Name: "a", URL: "http://127.0.0.1:9/mcp", Transport: config.TransportHTTP, Interval: time.Hour, Timeout: time.Second, Slow: time.Second},
	}}
	res := NewPool(cfg, checker).Sweep(context.Background())
	if res[0].Status != StatusUnhealthy || res[0].Class != "internal.panic" || res[0].Detail != "injected fault" {
		t.Fatalf("got %+v", res[0])
	}
}

// TestSnapshotSharedUntilChange: readers polling an unchanged pool share one
// copy; any change makes a new one, and the old copy stays as it was.
func TestSnapshotSharedUntilChange(t *testing.T) {
	url := serve(t, streamableHandler("s")).URL
	cfg := &config.File{Path: "test", Concurrency: 1, PerHost: 1, Servers: []config.Server{
		{Name: "a", URL: url, Transport: config.TransportHTTP, Interval: time.Hour, Timeout: 5 * time.Second, Slow: 5 * time.Second},
	}}
	pool := NewPool(cfg, NewChecker("test"))
	first := pool.Snapshot()
	if pool.Snapshot() != first {
		t.Fatal("an unchanged pool made a second copy")
	}
	pool.Sweep(context.Background())
	second := pool.Snapshot()
	if second == first || first.Servers[0].Checks != 0 || second.Servers[0].Checks != 1 {
		t.Fatalf("after a check: same copy %v, checks %d then %d", second == first, first.Servers[0].Checks, second.Servers[0].Checks)
	}
}
