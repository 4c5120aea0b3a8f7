package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// listenOn serves h on a loopback address of its own (ip), so that per-host
// limits see it as another host; it stops with the test.
func listenOn(t *testing.T, ip string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func sweepServer(name, url string, timeout time.Duration) config.Server {
	return config.Server{Name: name, URL: url, Transport: config.TransportHTTP, Interval: time.Hour, Timeout: timeout, Slow: timeout}
}

// TestSweepConfigOrderNamedOnly: Sweep(names) checks only the named servers
// and returns their results in config order, not the order asked or finished.
func TestSweepConfigOrderNamedOnly(t *testing.T) {
	url := serve(t, streamableHandler("o")).URL
	cfg := &config.File{Path: "test", Concurrency: 3, PerHost: 3}
	for i := range 6 {
		cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("s%d", i), url, 5*time.Second))
	}
	pool := NewPool(cfg, NewChecker("test"))
	res := pool.Sweep(context.Background(), "s4", "s1", "s2")
	if len(res) != 3 || res[0].Server != "s1" || res[1].Server != "s2" || res[2].Server != "s4" {
		t.Fatalf("got %d results %v, want s1 s2 s4", len(res), names(res))
	}
	for _, r := range res {
		if r.Status != StatusHealthy {
			t.Fatalf("%s: %s %s", r.Server, r.Status, r.Message)
		}
	}
	for _, st := range pool.Snapshot().Servers {
		want := uint64(0)
		if st.Name == "s1" || st.Name == "s2" || st.Name == "s4" {
			want = 1
		}
		if st.Checks != want {
			t.Fatalf("%s checked %d times, want %d", st.Name, st.Checks, want)
		}
	}
	all := pool.Sweep(context.Background())
	if len(all) != 6 {
		t.Fatalf("a sweep of all: %d results", len(all))
	}
	for i, r := range all {
		if r.Server != fmt.Sprintf("s%d", i) || r.Status != StatusHealthy {
			t.Fatalf("result %d: %s %s", i, r.Server, r.Status)
		}
	}
}

func names(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Server
	}
	return out
}

// TestSweepGoroutinesBounded: a sweep runs as many checks at once as its
// limits allow, and starts no goroutine per server waiting for a slot (at
// 10,000 servers those stacks were tens of MB).
func TestSweepGoroutinesBounded(t *testing.T) {
	cfg, peak := goroutinesFleet(t)
	before := int64(runtime.NumGoroutine())
	res := NewPool(cfg, NewChecker("test")).Sweep(context.Background())
	for _, r := range res {
		if r.Status != StatusHealthy {
			t.Fatalf("%s: %s %s", r.Server, r.Status, r.Message)
		}
	}
	// 4 checks in flight cost a few goroutines each, both sides of the
	// connection included; 300 servers waiting must cost none.
	if extra := peak.Load() - before; extra > 100 {
		t.Fatalf("%d goroutines more than before the sweep at its peak, for concurrency 4: one per server?", extra)
	}
}

// TestSweepFullHostDoesNotHoldUpOthers: a server whose host is at its
// per_host limit waits without taking a slot servers of other hosts could
// use. Here the slow host's first check blocks until every check of the
// other host has finished; a sweep that waited for the slow host in config
// order would not get there.
func TestSweepFullHostDoesNotHoldUpOthers(t *testing.T) {
	cfg, free := fullHostFleet(t, "127.0.7.1", "127.0.7.2")
	pool := NewPool(cfg, NewChecker("test"))
	var fastDone atomic.Int64
	pool.Observe(func(r Result) {
		if r.Server[:4] == "fast" && fastDone.Add(1) == fast {
			free()
		}
	})
	deadlock := time.AfterFunc(20*time.Second, free) // only so that a failure ends
	defer deadlock.Stop()
	res := pool.Sweep(context.Background())
	if n := fastDone.Load(); n != fast {
		t.Fatalf("only %d of %d servers of the free host were checked while the full host's check ran", n, fast)
	}
	for _, r := range res {
		if r.Status != StatusHealthy {
			t.Fatalf("%s: %s %s", r.Server, r.Status, r.Message)
		}
	}
}

// goroutinesFleet is 300 servers of one host at concurrency 4, whose
// handler records the most goroutines the process had while answering.
func goroutinesFleet(t *testing.T) (*config.File, *atomic.Int64) {
	peak := new(atomic.Int64)
	inner := streamableHandler("g")
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int64(runtime.NumGoroutine())
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		inner.ServeHTTP(w, r)
	})).URL
	cfg := &config.File{Path: "test", Concurrency: 4, PerHost: 4}
	for i := range 300 {
		cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("s%03d", i), url, 30*time.Second))
	}
	return cfg, peak
}

// fast is how many servers fullHostFleet has on its free host.
const fast = 6

// fullHostFleet is 3 servers of a slow host (its first check answers only
// once free is called) and then fast servers of another host, at
// concurrency 2 and per_host 1.
func fullHostFleet(t *testing.T, slowIP, fastIP string) (cfg *config.File, free func()) {
	release := make(chan struct{})
	var once sync.Once
	free = func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	slowInner := streamableHandler("slow")
	slowURL := listenOn(t, slowIP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		slowInner.ServeHTTP(w, r)
	}))
	fastURL := listenOn(t, fastIP, streamableHandler("fast"))
	cfg = &config.File{Path: "test", Concurrency: 2, PerHost: 1}
	for i := range 3 {
		cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("slow%d", i), slowURL, time.Minute))
	}
	for i := range fast {
		cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("fast%d", i), fastURL, time.Minute))
	}
	return cfg, free
}

// TestSweepCancelled: cancelling a sweep returns at once with a result for
// every server asked for, in config order; what was not checked says so.
func TestSweepCancelled(t *testing.T) {
	var started atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server sees the client hang up
		if started.Add(1) == 2 {
			cancel() // two checks are in flight: the rest never start
		}
		<-r.Context().Done()
	})).URL
	cfg := &config.File{Path: "test", Concurrency: 2, PerHost: 2}
	for i := range 10 {
		cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("s%d", i), url, time.Minute))
	}
	pool := NewPool(cfg, NewChecker("test"))
	res := pool.Sweep(ctx)
	if len(res) != 10 {
		t.Fatalf("%d results, want 10", len(res))
	}
	for i, r := range res {
		if r.Server != fmt.Sprintf("s%d", i) || r.Status != StatusUnknown || r.Message != "interrupted before the check finished" {
			t.Fatalf("result %d: %s %s %q", i, r.Server, r.Status, r.Message)
		}
	}
	if n := started.Load(); n != 2 {
		t.Fatalf("%d requests reached the server, want the 2 in flight when cancelled", n)
	}
	for _, st := range pool.Snapshot().Servers {
		if st.Checking {
			t.Fatalf("%s still shows a check in flight", st.Name)
		}
	}
}

// TestPoolSharesEqualSecretForms: servers that share a secret (and so a
// token) keep one copy of its scrubbing forms, of their credentials and of
// the token's state between checks, not one each: 6, 3 and 2.5 MB of a
// 10,000-server pool.
func TestPoolSharesEqualSecretForms(t *testing.T) {
	_, asURL, mcpURL := sharedClientServer(t, time.Now)
	cfg := &config.File{Path: "test", Concurrency: 2, PerHost: 2}
	for i := range 3 {
		s := sweepServer(fmt.Sprintf("s%d", i), mcpURL, 30*time.Second)
		s.Auth = config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
			ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, TokenURL: asURL + "/token", Resource: "https://gateway.example/",
			Scopes: []string{"mcp.read"}}
		cfg.Servers = append(cfg.Servers, s)
	}
	pool := NewPool(cfg, NewChecker("test"))
	for _, r := range pool.Sweep(context.Background()) {
		if r.Status != StatusHealthy {
			t.Fatalf("%s: %s %s", r.Server, r.Status, r.Message)
		}
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	first := pool.entries[0].forms
	if len(first) == 0 {
		t.Fatal("no secret forms kept")
	}
	for _, e := range pool.entries[1:] {
		if !slices.Equal(e.forms, first) || &e.forms[0] != &first[0] {
			t.Fatalf("%s keeps forms of its own", e.srv.Name)
		}
		if e.creds == nil || e.creds != pool.entries[0].creds {
			t.Fatalf("%s keeps credentials of its own", e.srv.Name)
		}
		if e.last.Token == nil || e.last.Token != pool.entries[0].last.Token {
			t.Fatalf("%s keeps token state of its own for the one token", e.srv.Name)
		}
	}
}

// TestSameTokenSeesEveryField: token states that differ in any field are
// not shared (a field added to TokenInfo must be compared too).
func TestSameTokenSeesEveryField(t *testing.T) {
	a := TokenInfo{}
	if !sameToken(&a, &TokenInfo{}) {
		t.Fatal("equal token states are not the same")
	}
	typ := reflect.TypeFor[TokenInfo]()
	for i := range typ.NumField() {
		b := a
		f := reflect.ValueOf(&b).Elem().Field(i)
		switch v := f.Addr().Interface().(type) {
		case *string:
			*v = "x"
		case *bool:
			*v = true
		case *[]string:
			*v = []string{"x"}
		case *time.Time:
			*v = time.Unix(1, 0)
		case **CertInfo:
			*v = &CertInfo{}
		default:
			t.Fatalf("field %s (%s): teach this test its kind", typ.Field(i).Name, f.Type())
		}
		if sameToken(&a, &b) {
			t.Errorf("token states differing in %s are taken for the same", typ.Field(i).Name)
		}
	}
}
