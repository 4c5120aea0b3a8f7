package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// inFlight counts concurrent requests and remembers the most seen at once.
type inFlight struct {
	now, peak atomic.Int64
	next      http.Handler
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.next.ServeHTTP(w, r)
}

func limitsConfig(urls []string, conc, perHost int) *config.File {
	cfg := &config.File{Path: "test", Concurrency: conc, PerHost: perHost}
	for i, u := range urls {
		cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%d", i), URL: u, Transport: config.TransportHTTP,
			Interval: time.Hour, Timeout: 5 * time.Second, Slow: 5 * time.Second})
	}
	return cfg
}

func TestPerHostLimit(t *testing.T) {
	f := &inFlight{next: slowly(30*time.Millisecond, streamableHandler("h"))}
	url := serve(t, f).URL
	urls := make([]string, 8)
	for i := range urls {
		urls[i] = url
	}
	NewPool(limitsConfig(urls, 8, 2), NewChecker("test")).Sweep(context.Background())
	if p := f.peak.Load(); p != 2 {
		t.Fatalf("peak requests in flight to one host = %d, want exactly per_host = 2", p)
	}
}

func TestGlobalLimit(t *testing.T) {
	f := &inFlight{next: slowly(30*time.Millisecond, streamableHandler("g"))}
	var urls []string
	var servers []*http.Server
	var wg sync.WaitGroup
	for i := range 6 { // distinct hosts, so only the global limit applies
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.9.%d:0", i+1))
		if err != nil {
			t.Fatal(err)
		}
		s := &http.Server{Handler: f}
		servers = append(servers, s)
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Serve(ln) }()
		urls = append(urls, "http://"+ln.Addr().String())
	}
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Close()
		}
		wg.Wait()
	})
	NewPool(limitsConfig(urls, 3, 4), NewChecker("test")).Sweep(context.Background())
	if p := f.peak.Load(); p != 3 {
		t.Fatalf("peak requests in flight = %d, want exactly concurrency = 3", p)
	}
}

// TestSessionEndsWithDelete: a check ends an initialize-era session politely.
func TestSessionEndsWithDelete(t *testing.T) {
	var deletes atomic.Int64
	inner := legacyOnly(streamableHandler("polite"))
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && r.Header.Get("Mcp-Session-Id") != "" {
			deletes.Add(1)
		}
		inner.ServeHTTP(w, r)
	})).URL
	f := newFixture(t)
	srv := f.server(url)
	if r := f.checker.Check(context.Background(), &srv); r.Status != StatusHealthy {
		t.Fatalf("%s %s", r.Status, r.Message)
	}
	if n := deletes.Load(); n != 1 {
		t.Fatalf("DELETE with session id sent %d times, want 1", n)
	}
}
