package probe

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// TestSnapshotSharesUnchangedServers: a new snapshot reuses the state of
// every server that did not change, makes the changed ones afresh, and
// leaves the snapshots already handed out as they were.
func TestSnapshotSharesUnchangedServers(t *testing.T) {
	cfg, p := unreachablePool("a", "b", "c")
	for _, e := range p.entries {
		p.finish(e, Result{Server: e.srv.Name, Status: StatusHealthy, Started: time.Now()}, oauth.Credentials{}, nil, true)
	}
	s1 := p.Snapshot()
	p.finish(p.entries[1], Result{Server: "b", Status: StatusUnhealthy, Started: time.Now()}, oauth.Credentials{}, nil, true)
	s2 := p.Snapshot()
	if s2.Servers[0] != s1.Servers[0] || s2.Servers[2] != s1.Servers[2] {
		t.Error("unchanged servers were copied, not shared")
	}
	if s2.Servers[1] == s1.Servers[1] || s2.Servers[1].Last.Status != StatusUnhealthy || s2.Servers[1].Checks != 2 {
		t.Fatalf("the changed server: %+v", s2.Servers[1])
	}
	if s1.Servers[1].Last.Status != StatusHealthy || s1.Servers[1].Checks != 1 || len(s1.Servers[1].History) != 1 {
		t.Fatalf("an earlier snapshot changed: %+v", s1.Servers[1])
	}

	p.Recheck("c") // moves its next check
	s3 := p.Snapshot()
	if s3.Servers[2] == s2.Servers[2] || !s3.Servers[2].NextCheck.IsZero() || s3.Servers[0] != s1.Servers[0] {
		t.Fatalf("after a recheck: c %+v", s3.Servers[2])
	}

	// Between checks: a warning raised (as the token refresh loop does) and
	// an inventory pinned (as AcceptInventory does).
	p.mu.Lock()
	p.entries[0].warnings = []Warning{{Class: WarnTokenRefresh, Message: "refresh failing"}}
	p.entries[2].inv = &invState{current: &Inventory{Hash: "abc"}}
	p.version++
	p.mu.Unlock()
	s35 := p.Snapshot()
	if len(s35.Servers[0].Warnings) != 1 || s35.Servers[2].Inventory == nil || s35.Servers[1] != s3.Servers[1] {
		t.Fatalf("warnings %+v, inventory %+v", s35.Servers[0].Warnings, s35.Servers[2].Inventory)
	}
	if len(s3.Servers[0].Warnings) != 0 || s3.Servers[2].Inventory != nil {
		t.Fatal("an earlier snapshot changed")
	}

	next := *cfg
	next.Servers = append([]config.Server(nil), cfg.Servers...)
	next.Servers[0].Tags = []string{"prod"} // same target: its state stays, its tags change
	p.Apply(&next)
	s4 := p.Snapshot()
	if got := s4.Servers[0]; len(got.Tags) != 1 || got.Checks != 1 {
		t.Fatalf("after a reload: %+v", got)
	}
	if len(s35.Servers[0].Tags) != 0 {
		t.Fatal("a reload changed an earlier snapshot")
	}
}

// TestSnapshotFollowsTokenRefresh: a token refreshed between checks shows
// in every server that shares it, although none of them was checked again.
func TestSnapshotFollowsTokenRefresh(t *testing.T) {
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	ts := httptest.NewServer(as)
	defer ts.Close()
	cr := oauth.Credentials{TokenURL: ts.URL + "/token", ClientID: testClient, ClientSecret: testSecret}.Keyed()
	cfg := &config.File{Path: "test", Concurrency: 1, PerHost: 1}
	for _, name := range []string{"a", "b"} {
		cfg.Servers = append(cfg.Servers, config.Server{Name: name, URL: "http://127.0.0.1:1/mcp", Transport: config.TransportHTTP,
			Interval: time.Hour, Timeout: time.Second, Slow: time.Second,
			Auth: config.Auth{Type: config.AuthOAuth2, ClientID: testClient, TokenURL: cr.TokenURL}})
	}
	p := NewPool(cfg, NewChecker("test"))
	ctx := context.Background()
	tok, err := p.checker.Tokens.Token(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := p.checker.Tokens.Info(cr)
	for _, e := range p.entries {
		p.finish(e, Result{Server: e.srv.Name, Status: StatusHealthy, Started: time.Now(),
			Token: &TokenInfo{TokenURL: cr.TokenURL, Obtained: info.Obtained, Expiry: info.Expiry}}, cr, nil, true)
	}
	s1 := p.Snapshot()

	p.checker.Tokens.Invalidate(cr, tok) // as a 401 would; the next Token call fetches anew
	if _, err := p.checker.Tokens.Token(ctx, cr); err != nil {
		t.Fatal(err)
	}
	fresh, _ := p.checker.Tokens.Info(cr)
	if fresh.Obtained.Equal(info.Obtained) {
		t.Fatal("the second token was obtained at the same instant as the first")
	}
	p.mu.Lock()
	p.version++ // as refreshTokens does after a round that asked the endpoint
	p.mu.Unlock()
	s2 := p.Snapshot()
	for i, st := range s2.Servers {
		if st.Token == nil || !st.Token.Obtained.Equal(fresh.Obtained) {
			t.Errorf("%s: token %+v, want the one obtained at %v", st.Name, st.Token, fresh.Obtained)
		}
		if !s1.Servers[i].Token.Obtained.Equal(info.Obtained) {
			t.Errorf("%s: an earlier snapshot changed", st.Name)
		}
	}
}
