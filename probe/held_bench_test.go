package probe

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// BenchmarkPoolHeld is what a pool of 10,000 servers holds once every
// server has a full history (HistoryLen results, as after an hour at a
// one-minute interval), with one snapshot taken: serve's steady state, the
// config aside. All servers share one client and so one token, as the
// fleet of issue 12 does. It reports the live heap per server.
func BenchmarkPoolHeld(b *testing.B) {
	const n = 10_000
	cfg := &config.File{Path: "bench", Concurrency: config.DefaultConcurrency, PerHost: config.DefaultPerHost}
	for i := range n {
		cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%05d", i), URL: fmt.Sprintf("http://127.0.%d.%d:8080/mcp", i/250, 1+i%250),
			Transport: config.TransportHTTP, Interval: time.Minute, Timeout: 10 * time.Second, Slow: 10 * time.Second,
			Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
				ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, TokenURL: "http://127.0.0.1:1/token"}})
	}
	creds := oauth.Credentials{TokenURL: "http://127.0.0.1:1/token", ClientID: testClient, ClientSecret: testSecret}
	obtained := time.Now()
	for b.Loop() {
		before := liveHeap()
		pool := NewPool(cfg, NewChecker("bench"))
		start := time.Now().Add(-HistoryLen * time.Minute)
		for round := range HistoryLen {
			at := start.Add(time.Duration(round) * time.Minute)
			for _, e := range pool.entries {
				res := Result{Server: e.srv.Name, Status: StatusHealthy, Started: at, Latency: 3 * time.Millisecond,
					Total: 4 * time.Millisecond, ProtocolVersion: "2025-06-18", ServerName: "bench", ServerVersion: "1.0.0",
					LivenessMethod: "tools/list", Era: "stateless", Transport: "http",
					Stages: []StageTiming{{Stage: StageToken, OK: true}, {Stage: StageConnect, Duration: time.Millisecond, OK: true},
						{Stage: StageHandshake, Duration: time.Millisecond, OK: true}, {Stage: StageLiveness, Duration: time.Millisecond, OK: true}},
					Token: &TokenInfo{TokenURL: creds.TokenURL, TokenURLSource: "configured", Obtained: obtained, Expiry: obtained.Add(time.Hour)}}
				pool.finish(e, res, creds, nil, true)
			}
		}
		snap := pool.Snapshot()
		held := liveHeap() - before
		runtime.KeepAlive(snap)
		runtime.KeepAlive(pool)
		b.ReportMetric(float64(held)/n, "held-B/server")
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
