package probe

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// sameOriginAS serves an MCP server at /mcp with its authorization server on
// the same origin under /oauth, and RFC 9728 metadata naming it.
func (f *fixture) sameOriginAS() (srvURL string) {
	mux, base := f.mux()
	f.as.SetIssuer(base + "/oauth")
	mux.Handle("/oauth/", http.StripPrefix("/oauth", f.as))
	mux.Handle("/.well-known/oauth-authorization-server/oauth", f.as.MetadataHandler())
	mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp",
		MetadataURL: base + "/.well-known/oauth-protected-resource/mcp"}))
	mux.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(base+"/mcp", base+"/oauth"))
	return base + "/mcp"
}

// trustFaultRows: credentials go only to an authorization server the operator
// named, or one on the MCP server's own origin (docs/oauth.md, trust model).
func trustFaultRows() []faultRow {
	noneSent := func(t *testing.T, f *fixture, r Result) {
		contains(t, r.Message, "credentials not sent")
		if n := f.as.Requests(); n != 0 {
			t.Fatalf("the authorization server got %d token requests, want 0", n)
		}
	}
	return []faultRow{
		{name: "trust: an authorization server on the server's origin needs no pin", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				s := f.oauthServer(f.sameOriginAS(), true)
				s.Auth.Issuer = ""
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) { want(t, "trust", r.Token.IssuerTrust, trustSameOrigin) }},
		{name: "trust: an authorization server on another origin is refused unless pinned", status: StatusAuthError,
			stage: StageToken, class: "discovery.untrusted_issuer",
			setup: func(f *fixture) config.Server {
				s := f.oauthServer(f.protected(streamableHandler("p"), nil, ""), true)
				s.Auth.Issuer = ""
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				noneSent(t, f, r)
				contains(t, r.Message, "pin it with auth.issuer: "+f.asURL)
			}},
		{name: "trust: a pinned issuer is accepted on another origin", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.oauthServer(f.protected(streamableHandler("p"), nil, ""), true)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "trust", r.Token.IssuerTrust, trustPinned)
				want(t, "issuer", r.Token.Issuer, f.asURL)
			}},
		{name: "trust: the server names another issuer than the pinned one", status: StatusAuthError,
			stage: StageToken, class: "discovery.untrusted_issuer",
			setup: func(f *fixture) config.Server {
				s := f.oauthServer(f.protected(streamableHandler("p"), nil, ""), true)
				s.Auth.Issuer = "https://login.example.com"
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				noneSent(t, f, r)
				contains(t, r.Message, "not the pinned issuer https://login.example.com")
			}},
		{name: "trust: private_key_jwt assertions follow the same rule", status: StatusAuthError,
			stage: StageToken, class: "discovery.untrusted_issuer",
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public())
				s := f.jwtServer(f.protected(streamableHandler("p"), nil, ""), true, keyPEM(testECKey()))
				s.Auth.Issuer = ""
				return s
			},
			more: noneSent},
	}
}

// An issuer that changes between checks is refused until the operator pins
// it or the config changes: a server taken over cannot move credentials.
func TestIssuerChangeIsRefused(t *testing.T) {
	f := newFixture(t)
	mux, base := f.mux()
	var moved atomic.Bool
	as2 := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}})
	mux.Handle("/oauth/", http.StripPrefix("/oauth", f.as))
	mux.Handle("/other/", http.StripPrefix("/other", as2))
	f.as.SetIssuer(base + "/oauth")
	as2.SetIssuer(base + "/other")
	mux.Handle("/.well-known/oauth-authorization-server/oauth", f.as.MetadataHandler())
	mux.Handle("/.well-known/oauth-authorization-server/other", as2.MetadataHandler())
	mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp",
		MetadataURL: base + "/.well-known/oauth-protected-resource/mcp"}))
	prm := authserver.ProtectedResourceMetadata(base+"/mcp", base+"/oauth")
	prm2 := authserver.ProtectedResourceMetadata(base+"/mcp", base+"/other")
	mux.HandleFunc("/.well-known/oauth-protected-resource/mcp", func(w http.ResponseWriter, r *http.Request) {
		if moved.Load() {
			prm2.ServeHTTP(w, r)
			return
		}
		prm.ServeHTTP(w, r)
	})
	srv := f.oauthServer(base+"/mcp", true)
	srv.Auth.Issuer = ""
	pool := NewPool(&config.File{Servers: []config.Server{srv}, Concurrency: 1, PerHost: 1}, NewChecker("test"))
	if r := pool.Sweep(context.Background())[0]; r.Status != StatusHealthy {
		t.Fatalf("first check: %s %s %s", r.Status, r.Class, r.Message)
	}
	moved.Store(true)
	pool.checker.Tokens = NewChecker("test").Tokens // forget the cached discovery and token
	r := pool.Sweep(context.Background())[0]
	if r.Status != StatusAuthError || r.Class != "discovery.issuer_changed" {
		t.Fatalf("after the move: %s %s %s", r.Status, r.Class, r.Message)
	}
	contains(t, r.Message, "authorization server changed from "+base+"/oauth to "+base+"/other")
	if n := as2.Requests(); n != 0 {
		t.Fatalf("the new authorization server got %d token requests", n)
	}
	pool.Apply(&config.File{Servers: []config.Server{srv}, Concurrency: 1, PerHost: 1}) // unchanged: still refused
	if r := pool.Sweep(context.Background())[0]; r.Class != "discovery.issuer_changed" {
		t.Fatalf("an unchanged reload forgot the issuer: %s %s", r.Status, r.Class)
	}
}
