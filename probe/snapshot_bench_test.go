package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// BenchmarkSnapshot is the copy a view gets after something changed, at
// 10,000 servers that share one client-credentials token (issue 12: a
// snapshot change rebuilds in under 2 ms). Each server's live token state
// is read from the token cache, by the credentials' Key: "keyed" as the
// checker stores them, "fresh" with the Key computed at every look-up.
// Between snapshots one server's check completes.
func BenchmarkSnapshot(b *testing.B) {
	const n = 10_000
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: as, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	tokenURL := "http://" + ln.Addr().String() + "/token"

	cfg := &config.File{Path: "bench", Concurrency: config.DefaultConcurrency, PerHost: config.DefaultPerHost}
	for i := range n {
		cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%05d", i), URL: fmt.Sprintf("http://127.0.0.1:%d/mcp", 1+i%60000),
			Transport: config.TransportHTTP, Interval: time.Minute, Timeout: 10 * time.Second, Slow: 10 * time.Second,
			Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
				ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, TokenURL: tokenURL, Resource: "https://fleet.example/"}})
	}
	creds := oauth.Credentials{TokenURL: tokenURL, ClientID: testClient, ClientSecret: testSecret, Resource: "https://fleet.example/"}
	for name, cr := range map[string]oauth.Credentials{"keyed": creds.Keyed(), "fresh": creds} {
		b.Run(name+"/servers=10000", func(b *testing.B) {
			pool := NewPool(cfg, NewChecker("bench"))
			if _, err := pool.checker.Tokens.Token(context.Background(), cr); err != nil {
				b.Fatal(err)
			}
			info, _ := pool.checker.Tokens.Info(cr)
			now := time.Now()
			for _, e := range pool.entries {
				// As the check records it (checkRun.tokenInfo).
				res := Result{Server: e.srv.Name, Status: StatusHealthy, Started: now, Latency: time.Millisecond,
					Token: &TokenInfo{TokenURL: tokenURL, TokenURLSource: "configured", Obtained: info.Obtained, Expiry: info.Expiry}}
				pool.finish(e, res, cr, nil, true)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				pool.mu.Lock()
				pool.entries[i%n].checks++ // one result came in: that server's state is made afresh
				pool.version++
				pool.mu.Unlock()
				i++
				if s := pool.Snapshot(); s.Servers[n-1].Token.Obtained.IsZero() {
					b.Fatal("no live token state")
				}
			}
		})
	}
	// token-moved: between snapshots the shared token was fetched anew (a
	// refresh), so every server's live token state is read again.
	b.Run("token-moved/servers=10000", func(b *testing.B) {
		cr := creds.Keyed()
		pool := NewPool(cfg, NewChecker("bench"))
		tok, err := pool.checker.Tokens.Token(context.Background(), cr)
		if err != nil {
			b.Fatal(err)
		}
		info, _ := pool.checker.Tokens.Info(cr)
		for _, e := range pool.entries {
			res := Result{Server: e.srv.Name, Status: StatusHealthy, Started: time.Now(), Latency: time.Millisecond,
				Token: &TokenInfo{TokenURL: tokenURL, TokenURLSource: "configured", Obtained: info.Obtained, Expiry: info.Expiry}}
			pool.finish(e, res, cr, nil, true)
		}
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			pool.checker.Tokens.Invalidate(cr, tok)
			if tok, err = pool.checker.Tokens.Token(context.Background(), cr); err != nil {
				b.Fatal(err)
			}
			pool.mu.Lock()
			pool.version++
			pool.mu.Unlock()
			b.StartTimer()
			pool.Snapshot()
		}
	})
}
