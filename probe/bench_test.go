package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// loopbackFleet serves h on n listeners, each on its own 127.x.y.z address,
// so per-host limits behave as they would against a real fleet.
func loopbackFleet(b *testing.B, n int, h http.Handler) []string {
	b.Helper()
	urls := make([]string, 0, n)
	for i := range n {
		addr := fmt.Sprintf("127.%d.%d.%d:0", 1+i/62500, (i/250)%250, 1+i%250)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			b.Fatalf("listen %s: %v", addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		b.Cleanup(func() { _ = srv.Close() })
		urls = append(urls, "http://"+ln.Addr().String()+"/mcp")
	}
	return urls
}

// BenchmarkSweep measures one full sweep over N servers behind OAuth2 client
// credentials that share one client: probes/s, token requests per sweep,
// and the memory it takes.
func BenchmarkSweep(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
			asLn, _ := net.Listen("tcp", "127.0.0.1:0")
			asSrv := &http.Server{Handler: as}
			go func() { _ = asSrv.Serve(asLn) }()
			b.Cleanup(func() { _ = asSrv.Close() })
			asURL := "http://" + asLn.Addr().String()
			as.SetIssuer(asURL)
			b.Setenv("MCPW_TEST_SECRET", testSecret)

			urls := loopbackFleet(b, n, as.Protect(streamableHandler("bench"), authserver.Protection{}))
			cfg := &config.File{Path: "bench", Concurrency: config.DefaultConcurrency, PerHost: config.DefaultPerHost}
			for i, u := range urls {
				cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%d", i), URL: u,
					Transport: config.TransportHTTP, Interval: time.Minute, Timeout: 10 * time.Second, Slow: 10 * time.Second,
					Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
						ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, TokenURL: asURL + "/token", Resource: "https://fleet.example/"}})
			}
			checker := NewChecker("bench")
			pool := NewPool(cfg, checker)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			sweeps := 0
			for b.Loop() {
				for _, r := range pool.Sweep(context.Background()) {
					if r.Status != StatusHealthy {
						b.Fatalf("%s: %s %s %s", r.Server, r.Status, r.Class, r.Message)
					}
				}
				sweeps++
			}
			elapsed := time.Since(start)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(n*sweeps)/elapsed.Seconds(), "probes/s")
			b.ReportMetric(float64(as.Requests()), "token-requests")
			b.ReportMetric(float64(after.HeapInuse)/float64(1<<20), "heap-MiB")
		})
	}
}

// BenchmarkSweepEra counts the requests one check spends on the wire, for a
// stateless-era and an initialize-era fleet: the first sweep negotiates, later
// sweeps go straight to the remembered era (no server/discover for the
// initialize era).
func BenchmarkSweepEra(b *testing.B) {
	const n = 100
	for _, era := range []string{EraStateless, EraInitialize} {
		b.Run("era="+era, func(b *testing.B) {
			var h http.Handler = streamableHandler("bench")
			if era == EraInitialize {
				h = legacyOnly(h)
			}
			var requests atomic.Int64
			counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				h.ServeHTTP(w, r)
			})
			cfg := &config.File{Path: "bench", Concurrency: config.DefaultConcurrency, PerHost: config.DefaultPerHost}
			for i, u := range loopbackFleet(b, n, counted) {
				cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%d", i), URL: u,
					Transport: config.TransportAuto, Interval: time.Minute, Timeout: 10 * time.Second, Slow: 10 * time.Second})
			}
			pool := NewPool(cfg, NewChecker("bench"))
			sweep := func() {
				for _, r := range pool.Sweep(context.Background()) {
					if r.Status != StatusHealthy || r.Era != era {
						b.Fatalf("%s: %s %s %s, era %s", r.Server, r.Status, r.Class, r.Message, r.Era)
					}
				}
			}
			sweep()
			first := float64(requests.Swap(0)) / n
			b.ReportAllocs()
			sweeps := 0
			for b.Loop() {
				sweep()
				sweeps++
			}
			b.ReportMetric(float64(requests.Load())/float64(n*sweeps), "requests/check")
			b.ReportMetric(first, "first-sweep-requests/check")
		})
	}
}
