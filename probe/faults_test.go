package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

const (
	testClient = "mcpwatch-test"
	testSecret = "s3cr3t-Client-Value-9f8e7d"
)

// fixture is one row's world: a real token endpoint and a checker with a
// fresh token cache.
type fixture struct {
	t       *testing.T
	as      *authserver.Server
	asURL   string
	checker *Checker
}

func newFixture(t *testing.T) *fixture {
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	ts := serve(t, as)
	as.SetIssuer(ts.URL)
	t.Setenv("MCPW_TEST_SECRET", testSecret)
	return &fixture{t: t, as: as, asURL: ts.URL, checker: NewChecker("test")}
}

// server is a config entry with test-sized timeouts.
func (f *fixture) server(url string) config.Server {
	return config.Server{Name: "srv", URL: url, Transport: config.TransportHTTP,
		Interval: time.Minute, Timeout: 2 * time.Second, Slow: time.Second, Auth: config.Auth{Type: config.AuthNone}}
}

func (f *fixture) oauthServer(url string, discover bool) config.Server {
	s := f.server(url)
	s.Auth = config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
		ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, Scopes: []string{"mcp:read"}}
	if !discover {
		s.Auth.TokenURL = f.asURL + "/token"
	} else {
		// The fixture's authorization server is on another origin (port)
		// than the MCP servers: the operator pins it, as they would.
		s.Auth.Issuer = f.asURL
	}
	return s
}

// protected serves an MCP server at /mcp behind the fixture's token
// endpoint, with RFC 9728 metadata at the well-known path. resource, when
// non-empty, is what the metadata claims (to forge a mismatch).
func (f *fixture) protected(inner http.Handler, scopes []string, resource string) string {
	var base string
	mux := http.NewServeMux()
	ts := serve(f.t, mux)
	base = ts.URL
	if resource == "" {
		resource = base + "/mcp"
	}
	prm := base + "/.well-known/oauth-protected-resource/mcp"
	mux.Handle("/mcp", f.as.Protect(inner, authserver.Protection{ResourceURL: base + "/mcp", MetadataURL: prm, RequiredScopes: scopes}))
	mux.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(resource, f.asURL))
	return base + "/mcp"
}

type faultRow struct {
	name   string
	setup  func(f *fixture) config.Server
	status Status
	stage  Stage
	class  string
	more   func(t *testing.T, f *fixture, r Result)
}

func TestFaultMatrix(t *testing.T) {
	rows := []faultRow{
		{name: "healthy modern streamable HTTP", status: StatusHealthy,
			setup: func(f *fixture) config.Server { return f.server(serve(f.t, streamableHandler("modern")).URL) },
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2026-07-28")
				want(t, "liveness", r.LivenessMethod, "tools/list")
				want(t, "server name", r.ServerName, "modern")
				want(t, "server version", r.ServerVersion, "1.2.3")
			}},
		{name: "healthy legacy era uses ping", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, legacyOnly(streamableHandler("legacy"))).URL)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2025-11-25")
				want(t, "liveness", r.LivenessMethod, "ping")
			}},
		{name: "ping unsupported (-32601) is healthy via tools/list", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, legacyOnly(rpcFault(streamableHandler("noping"), pingFails(-32601)))).URL)
			},
			more: func(t *testing.T, f *fixture, r Result) { want(t, "liveness", r.LivenessMethod, "tools/list") }},
		{name: "ping answered -32603 is healthy via tools/list", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, legacyOnly(rpcFault(streamableHandler("noping"), pingFails(-32603)))).URL)
			},
			more: func(t *testing.T, f *fixture, r Result) { want(t, "liveness", r.LivenessMethod, "tools/list") }},
		{name: "legacy HTTP+SSE", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				s := f.server(sseServer(f.t, "sse"))
				s.Transport = config.TransportSSE
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2025-11-25")
				want(t, "liveness", r.LivenessMethod, "ping")
				want(t, "server name", r.ServerName, "sse")
			}},
		{name: "empty {} answers are not taken for a modern server", status: StatusHealthy,
			setup: func(f *fixture) config.Server { return f.server(serve(f.t, emptyAnswers("old")).URL) },
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2025-11-25")
				want(t, "server name", r.ServerName, "old")
			}},
		{name: "slow server is degraded", status: StatusDegraded, class: "slow",
			setup: func(f *fixture) config.Server {
				s := f.server(serve(f.t, slowly(60*time.Millisecond, streamableHandler("slow"))).URL)
				s.Slow = 100 * time.Millisecond
				return s
			}},
		{name: "server refused", status: StatusUnhealthy, stage: StageConnect, class: "connect.refused",
			setup: func(f *fixture) config.Server { return f.server(closedURL(f.t)) }},
		{name: "server hangs", status: StatusUnhealthy, stage: StageHandshake, class: "timeout.handshake",
			setup: func(f *fixture) config.Server {
				s := f.server(serve(f.t, hang()).URL)
				s.Timeout = 300 * time.Millisecond
				return s
			}},
		{name: "TLS certificate not trusted", status: StatusUnhealthy, stage: StageConnect, class: "connect.tls",
			setup: func(f *fixture) config.Server {
				ts := httptest.NewTLSServer(streamableHandler("tls"))
				f.t.Cleanup(ts.Close)
				return f.server(ts.URL)
			}},
		{name: "5xx", status: StatusUnhealthy, stage: StageHandshake, class: "http.502",
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, status(502, "text/plain", "bad gateway")).URL)
			}},
		{name: "HTML page instead of MCP", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.not_mcp",
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, status(200, "text/html; charset=utf-8", "<html><body>Welcome</body></html>")).URL)
			}},
		{name: "404 no endpoint", status: StatusUnhealthy, stage: StageHandshake, class: "http.404",
			setup: func(f *fixture) config.Server { return f.server(serve(f.t, http.NotFoundHandler()).URL) }},
		{name: "404 session gone after handshake", status: StatusUnhealthy, stage: StageLiveness, class: "session.terminated",
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, legacyOnly(sessionGone(streamableHandler("forgetful")))).URL)
			}},
		{name: "no auth configured but server needs it", status: StatusAuthError, stage: StageHandshake, class: "auth.required",
			setup: func(f *fixture) config.Server {
				return f.server(f.protected(streamableHandler("p"), nil, ""))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "server requires authorization (HTTP 401) and no auth is configured; its resource metadata http://")
				contains(t, r.Message, "/.well-known/oauth-protected-resource/mcp lists authorization server "+f.asURL)
			}},
		{name: "client credentials with configured token_url", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.oauthServer(f.protected(streamableHandler("p"), []string{"mcp:read"}, ""), false)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				if r.Token == nil || r.Token.Expiry.IsZero() || r.Token.TokenURLSource != "configured" {
					t.Fatalf("token info = %+v, want expiry and source configured", r.Token)
				}
				f.wantScopes(t, r, []string{"mcp:read"}, "configured")
				if _, ok := r.stage(StageToken); !ok {
					t.Fatal("token stage not timed")
				}
			}},
		{name: "client credentials with discovered token endpoint", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.oauthServer(f.protected(streamableHandler("p"), nil, ""), true)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "token url source", r.Token.TokenURLSource, "discovered")
				want(t, "token url", r.Token.TokenURL, f.asURL+"/token")
			}},
		{name: "discovery with mismatching resource sends no credentials", status: StatusAuthError, stage: StageToken,
			class: "discovery.resource_mismatch",
			setup: func(f *fixture) config.Server {
				return f.oauthServer(f.protected(streamableHandler("p"), nil, "https://elsewhere.example/mcp"), true)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				if n := f.as.Requests(); n != 0 {
					t.Fatalf("token endpoint got %d requests, want 0", n)
				}
			}},
		{name: "server down while discovering its token endpoint", status: StatusUnhealthy, stage: StageConnect, class: "connect.refused",
			setup: func(f *fixture) config.Server { return f.oauthServer(closedURL(f.t)+"/mcp", true) }},
		{name: "authorization server unreachable during discovery", status: StatusAuthError, stage: StageToken, class: "discovery.unreachable",
			setup: func(f *fixture) config.Server {
				mux := http.NewServeMux()
				base := serve(f.t, mux).URL
				deadAS := closedURL(f.t)
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp",
					MetadataURL: base + "/.well-known/oauth-protected-resource/mcp"}))
				mux.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(base+"/mcp", deadAS))
				return f.oauthServer(base+"/mcp", true)
			}},
		{name: "token endpoint refused", status: StatusAuthError, stage: StageToken, class: "token.unreachable",
			setup: func(f *fixture) config.Server {
				s := f.oauthServer(serve(f.t, streamableHandler("p")).URL, false)
				s.Auth.TokenURL = closedURL(f.t) + "/token"
				return s
			}},
		{name: "token endpoint 500", status: StatusAuthError, stage: StageToken, class: "token.http_500",
			setup: func(f *fixture) config.Server {
				f.as.SetFault(authserver.Fault{Kind: authserver.FaultStatus500})
				return f.oauthServer(serve(f.t, streamableHandler("p")).URL, false)
			}},
		{name: "token endpoint 401 invalid_client (rotated secret)", status: StatusAuthError, stage: StageToken, class: "token.invalid_client",
			setup: func(f *fixture) config.Server {
				f.as.RotateSecret(testClient, "a-new-secret")
				return f.oauthServer(serve(f.t, streamableHandler("p")).URL, false)
			}},
		{name: "token endpoint slower than timeout", status: StatusAuthError, stage: StageToken, class: "token.timeout",
			setup: func(f *fixture) config.Server {
				f.as.SetFault(authserver.Fault{Kind: authserver.FaultSlow, Delay: 5 * time.Second})
				s := f.oauthServer(serve(f.t, streamableHandler("p")).URL, false)
				s.Timeout = 300 * time.Millisecond
				return s
			}},
		{name: "token endpoint invalid JSON", status: StatusAuthError, stage: StageToken, class: "token.bad_json",
			setup: func(f *fixture) config.Server {
				f.as.SetFault(authserver.Fault{Kind: authserver.FaultBadJSON})
				return f.oauthServer(serve(f.t, streamableHandler("p")).URL, false)
			}},
		{name: "token response without access_token", status: StatusAuthError, stage: StageToken, class: "token.no_access_token",
			setup: func(f *fixture) config.Server {
				f.as.SetFault(authserver.Fault{Kind: authserver.FaultNoAccessToken})
				return f.oauthServer(serve(f.t, streamableHandler("p")).URL, false)
			}},
		{name: "token response without expires_in gets a default lifetime", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				f.as.SetFault(authserver.Fault{Kind: authserver.FaultNoExpiresIn})
				return f.oauthServer(f.protected(streamableHandler("p"), nil, ""), false)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				if r.Token == nil || !r.Token.ExpiryDefaulted || r.Token.Expiry.IsZero() {
					t.Fatalf("token = %+v, want a defaulted expiry", r.Token)
				}
			}},
		{name: "401 with a token the server never accepts: one refetch, then auth_error", status: StatusAuthError,
			stage: StageHandshake, class: "http.401",
			setup: func(f *fixture) config.Server {
				other := authserver.New(authserver.Options{}) // validates against a different issuer
				return f.oauthServer(serve(f.t, other.Protect(streamableHandler("p"), authserver.Protection{})).URL, false)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				if n := f.as.Requests(); n != 2 {
					t.Fatalf("token requests = %d, want 2 (one refetch after the 401)", n)
				}
				want(t, "message", r.Message, "server rejected the token: invalid_token: the access token is unknown, expired or revoked "+
					"(HTTP 401, after one retry with a fresh token)")
			}},
		{name: "403 insufficient_scope", status: StatusAuthError, stage: StageHandshake, class: "http.403",
			setup: func(f *fixture) config.Server {
				return f.oauthServer(f.protected(streamableHandler("p"), []string{"mcp:admin"}, ""), false)
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "insufficient_scope") }},
		{name: "static bearer rejected", status: StatusAuthError, stage: StageHandshake, class: "http.401",
			setup: func(f *fixture) config.Server {
				s := f.server(f.protected(streamableHandler("p"), nil, ""))
				s.Auth = config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: "MCPW_TEST_SECRET"}}
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "server rejected the configured bearer credentials: invalid_token: "+
					"the access token is unknown, expired or revoked (HTTP 401)")
			}},
		{name: "authorization_code is skipped with its reason", status: StatusSkipped, stage: StageConfig, class: "skip.user_login",
			setup: func(f *fixture) config.Server {
				s := f.server("https://mcp.invalid/mcp")
				s.Auth = config.Auth{Type: config.AuthOAuth2, Flow: config.FlowAuthorizationCode}
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "oauth2 authorization_code needs a user login")
			}},
		{name: "missing secret env is skipped with its reason", status: StatusSkipped, stage: StageConfig, class: "skip.secret",
			setup: func(f *fixture) config.Server {
				s := f.oauthServer("https://mcp.invalid/mcp", false)
				s.Auth.ClientSecret = config.Secret{Env: "MCPW_UNSET_SECRET"}
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "secret env MCPW_UNSET_SECRET is not set")
			}},
		{name: "client_id from the environment", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				f.t.Setenv("MCPW_TEST_CLIENT_ID", testClient)
				s := f.oauthServer(f.protected(streamableHandler("p"), nil, ""), false)
				s.Auth.ClientID = "${MCPW_TEST_CLIENT_ID}"
				return s
			}},
		{name: "client_id env unset is skipped with its reason", status: StatusSkipped, stage: StageConfig, class: "skip.secret",
			setup: func(f *fixture) config.Server {
				s := f.oauthServer("https://mcp.invalid/mcp", false)
				s.Auth.ClientID = "${MCPW_UNSET_CLIENT_ID}"
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "client_id env MCPW_UNSET_CLIENT_ID is not set")
			}},
		{name: "disabled", status: StatusSkipped, stage: StageConfig, class: "skip.disabled",
			setup: func(f *fixture) config.Server {
				s := f.server("https://mcp.invalid/mcp")
				s.Disabled = true
				return s
			}},
		{name: "private_key_jwt ES256, issuer discovered: aud = issuer", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public())
				return f.jwtServer(f.protected(streamableHandler("p"), []string{"mcp:read"}, ""), true, keyPEM(testECKey()))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				got := f.lastAssertion(t)
				if got.AuthMethod != authserver.MethodPrivateKeyJWT || got.SecretInBody || got.BasicHeader || got.Assertion.Alg != "ES256" ||
					len(got.Assertion.Audience) != 1 || got.Assertion.Audience[0] != f.asURL || got.Result != "ok" {
					t.Fatalf("token endpoint received %+v, assertion %+v", got, got.Assertion)
				}
			}},
		{name: "private_key_jwt EdDSA where the server allows it", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				f.keyServer(testEdKey().Public(), "RS256", "EdDSA")
				return f.jwtServer(f.protected(streamableHandler("p"), nil, ""), true, keyPEM(testEdKey()))
			},
			more: func(t *testing.T, f *fixture, r Result) { want(t, "alg", f.lastAssertion(t).Assertion.Alg, "EdDSA") }},
		{name: "private_key_jwt RS256, configured token_url with assertion_audience", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				f.keyServer(testRSAKey().Public())
				s := f.jwtServer(f.protected(streamableHandler("p"), nil, ""), false, keyPEM(testRSAKey()))
				s.Auth.AssertionAudience = f.asURL
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				got := f.lastAssertion(t).Assertion
				want(t, "alg", got.Alg, "RS256")
				want(t, "aud", got.Audience[0], f.asURL)
			}},
		{name: "private_key_jwt, configured token_url and no issuer: aud = token URL, refused", status: StatusAuthError,
			stage: StageToken, class: "token.invalid_client",
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public())
				return f.jwtServer(serve(f.t, streamableHandler("p")).URL, false, keyPEM(testECKey()))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "aud", f.lastAssertion(t).Assertion.Audience[0], f.asURL+"/token")
				contains(t, r.Message, "/token\" is not this server's issuer")
			}},
		{name: "private_key_jwt key type the server does not accept", status: StatusAuthError, stage: StageToken,
			class: "token.unsupported_alg",
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public(), "RS256", "PS256")
				return f.jwtServer(f.protected(streamableHandler("p"), nil, ""), true, keyPEM(testECKey()))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "EC P-256 (signs ES256) but the authorization server accepts only RS256, PS256")
				if n := f.as.Requests(); n != 0 {
					t.Fatalf("token endpoint got %d requests, want 0", n)
				}
			}},
		{name: "private_key_jwt assertion replayed (jti reused)", status: StatusAuthError, stage: StageToken, class: "token.invalid_client",
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public())
				s := f.jwtServer(serve(f.t, streamableHandler("p")).URL, false, keyPEM(testECKey()))
				s.Auth.TokenURL = replayingProxy(f.t, f.asURL) + "/token"
				s.Auth.AssertionAudience = f.asURL
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "was already used), HTTP 401") }},
		{name: "private_key_jwt assertion expired (client clock 10 minutes behind)", status: StatusAuthError, stage: StageToken,
			class: "token.invalid_client",
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public())
				f.checker.Tokens = oauth.NewTokenCache(oauth.Options{Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }})
				return f.jwtServer(f.protected(streamableHandler("p"), nil, ""), true, keyPEM(testECKey()))
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "client_assertion: expired at") }},
		{name: "private_key_jwt key file is not a PEM key", status: StatusAuthError, stage: StageToken, class: "token.bad_key",
			setup: func(f *fixture) config.Server {
				f.keyServer(testECKey().Public())
				return f.jwtServer(serve(f.t, streamableHandler("p")).URL, false, []byte(testSecret))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "client.pem: is not PEM")
				if n := f.as.Requests(); n != 0 {
					t.Fatalf("token endpoint got %d requests, want 0", n)
				}
			}},
	}
	for _, row := range slices.Concat(rows, stdioFaultRows(), protocolFaultRows(), authFaultRows(), boundedFaultRows(), trustFaultRows()) {
		t.Run(row.name, func(t *testing.T) {
			f := newFixture(t)
			srv := row.setup(f)
			r := f.checker.Check(context.Background(), &srv)
			if r.Status != row.status || r.Stage != row.stage || r.Class != row.class {
				t.Fatalf("got %s/%s/%s (%q; detail %q), want %s/%s/%s",
					r.Status, r.Stage, r.Class, r.Message, r.Detail, row.status, row.stage, row.class)
			}
			if r.Status != StatusHealthy && r.Message == "" {
				t.Fatal("a non-healthy result needs a message")
			}
			if row.more != nil {
				row.more(t, f, r)
			}
		})
	}
}

// TestRevokedTokenIsRefetchedOnce: a 401 drops the cached token; the retry
// with a fresh one succeeds.
func TestRevokedTokenIsRefetchedOnce(t *testing.T) {
	f := newFixture(t)
	srv := f.oauthServer(f.protected(streamableHandler("p"), nil, ""), false)
	if r := f.checker.Check(context.Background(), &srv); r.Status != StatusHealthy {
		t.Fatalf("first check: %s %s", r.Status, r.Message)
	}
	f.as.RevokeAll()
	r := f.checker.Check(context.Background(), &srv)
	if r.Status != StatusHealthy {
		t.Fatalf("after revocation: %s %s %s", r.Status, r.Class, r.Message)
	}
	if n := f.as.Requests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
}

func pingFails(code int) func(string) (json.RawMessage, json.RawMessage) {
	return func(m string) (json.RawMessage, json.RawMessage) {
		if m == "ping" {
			return nil, rpcError(code, "nope")
		}
		return nil, nil
	}
}

// closedURL is a loopback URL where nothing listens any more.
func closedURL(t *testing.T) string {
	ts := httptest.NewServer(http.NotFoundHandler())
	u := ts.URL
	ts.Close()
	return u
}

func want(t *testing.T, what, got, wantV string) {
	t.Helper()
	if got != wantV {
		t.Fatalf("%s = %q, want %q", what, got, wantV)
	}
}

func contains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q does not contain %q", s, sub)
	}
}
