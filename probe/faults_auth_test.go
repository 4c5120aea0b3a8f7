package probe

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// authFaultRows are the fault-matrix rows for discovery layouts, 401/403 reasons and scope
// selection (issue 8, items 4–6).
func authFaultRows() []faultRow {
	return []faultRow{
		// Discovery: RFC 9728 §3.3 and the SDKs' prefix rule; the 2025-03-26 fallback.
		{name: "discovery: root metadata whose resource is the origin (conformance auth/metadata-var2)", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp"}))
				mux.Handle("/.well-known/oauth-protected-resource", authserver.ProtectedResourceMetadata(base, f.asURL))
				return f.oauthServer(base+"/mcp", true)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "token url source", r.Token.TokenURLSource, "discovered")
				want(t, "token url", r.Token.TokenURL, f.asURL+"/token")
			}},
		{name: "discovery: 2025-03-26 fallback to authorization-server metadata at the server's origin", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp"}))
				f.as.SetIssuer(base + "/oauth") // the conformance suite's backcompat layout
				mux.Handle("/oauth/", http.StripPrefix("/oauth", f.as))
				mux.Handle("/.well-known/oauth-authorization-server", f.as.MetadataHandler())
				s := f.oauthServer(base+"/mcp", true)
				s.Auth.Issuer = "" // on the server's own origin: trusted without a pin
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "token url source", r.Token.TokenURLSource, "discovered")
				want(t, "token url", r.Token.TokenURL, f.as.Issuer()+"/token")
				want(t, "issuer trust", r.Token.IssuerTrust, trustSameOrigin)
			}},
		{name: "discovery: 2025-03-26 fallback refuses a token endpoint off the server's origin", status: StatusAuthError,
			stage: StageToken, class: "discovery.bad_metadata",
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp"}))
				mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"issuer":"` + base + `","token_endpoint":"` + f.asURL + `/token"}`))
				})
				return f.oauthServer(base+"/mcp", true)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "refusing to send credentials")
				if n := f.as.Requests(); n != 0 {
					t.Fatalf("token endpoint got %d requests, want 0", n)
				}
			}},

		// 401 and 403: the RFC 6750 reason, sanitized and scrubbed.
		{name: "401 invalid_token for another audience, after one retry", status: StatusAuthError, stage: StageHandshake, class: "http.401",
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				// The token is minted for base+"/mcp" (RFC 8707 resource); the server is another audience.
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: "https://api.example/mcp"}))
				return f.oauthServer(base+"/mcp", false)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "server rejected the token: invalid_token: the access token was issued for another resource "+
					"(HTTP 401, after one retry with a fresh token)")
			}},
		{name: "403 insufficient_scope with a description", status: StatusAuthError, stage: StageHandshake, class: "http.403",
			setup: func(f *fixture) config.Server {
				return f.bearerServer(challengeHandler(http.StatusForbidden,
					`Bearer error="insufficient_scope", error_description="tools need the tools scope", scope="mcp:tools"`))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "token lacks a required scope (HTTP 403 insufficient_scope: tools need the tools scope); server wants: mcp:tools")
			}},
		{name: "401 insufficient_scope is told apart from invalid_token", status: StatusAuthError, stage: StageHandshake, class: "http.401",
			setup: func(f *fixture) config.Server {
				return f.bearerServer(challengeHandler(http.StatusUnauthorized, `Bearer error="insufficient_scope", scope="mcp:admin"`))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "server rejected the configured bearer credentials: insufficient_scope (HTTP 401); server wants: mcp:admin")
			}},
		{name: "challenge text is sanitized: no C1 controls, no bidi overrides", status: StatusAuthError, stage: StageHandshake, class: "http.401",
			setup: func(f *fixture) config.Server {
				return f.bearerServer(challengeHandler(http.StatusUnauthorized,
					"Bearer error=\"invalid_token\", error_description=\"expired\u009b2J at \u202e21:00\u2066 \u0085now\""))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "server rejected the configured bearer credentials: invalid_token: expired at 21:00 now (HTTP 401)")
			}},
		{name: "challenge echoing the bearer token is scrubbed", status: StatusAuthError, stage: StageHandshake, class: "http.401",
			setup: func(f *fixture) config.Server {
				return f.bearerServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="unknown token `+
						strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"`)
					w.WriteHeader(http.StatusUnauthorized)
				}))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "invalid_token: unknown token "+redacted)
				if strings.Contains(r.Message+r.Detail, testSecret) {
					t.Fatalf("the token leaked: %q / %q", r.Message, r.Detail)
				}
			}},

		// No auth configured: auth.required, naming where to get a client.
		{name: "no auth: 401 then 400 is still auth.required, not a legacy SSE server", status: StatusAuthError, stage: StageHandshake,
			class: "auth.required",
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				prm := base + "/.well-known/oauth-protected-resource/mcp"
				var n atomic.Int32
				mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) == 1 {
						w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+prm+`"`)
						http.Error(w, "unauthorized", http.StatusUnauthorized)
						return
					}
					http.Error(w, "bad request", http.StatusBadRequest)
				})
				mux.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(base+"/mcp", f.asURL))
				s := f.server(base + "/mcp")
				s.Transport = config.TransportAuto
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "server requires authorization (HTTP 401) and no auth is configured")
				contains(t, r.Message, f.asURL)
			}},
		{name: "no auth: metadata for another resource names no authorization server", status: StatusAuthError, stage: StageHandshake,
			class: "auth.required",
			setup: func(f *fixture) config.Server {
				return f.server(f.protected(streamableHandler("p"), nil, "https://elsewhere.example/mcp"))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "is for another resource")
				if strings.Contains(r.Message, f.asURL) {
					t.Fatalf("message names the authorization server of a document it does not trust: %q", r.Message)
				}
			}},
		{name: "no auth: 401 without any metadata", status: StatusAuthError, stage: StageHandshake, class: "auth.required",
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, challengeHandler(http.StatusUnauthorized, `Bearer realm="mcp"`)).URL + "/mcp")
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "server requires authorization (HTTP 401) and no auth is configured; it publishes no protected-resource metadata")
			}},

		// Scope selection with no scopes configured.
		{name: "scopes: none configured, the challenge's scope is requested", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				prm := base + "/.well-known/oauth-protected-resource/mcp"
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp", MetadataURL: prm,
					RequiredScopes: []string{"mcp:read", "mcp:tools"}, ScopeInChallenge: true}))
				mux.Handle("/.well-known/oauth-protected-resource/mcp",
					authserver.ProtectedResourceMetadataWithScopes(base+"/mcp", []string{"mcp:read", "mcp:tools", "mcp:admin"}, f.asURL))
				return f.noScopes(f.oauthServer(base+"/mcp", true))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				f.wantScopes(t, r, []string{"mcp:read", "mcp:tools"}, oauth.ScopesFromChallenge)
			}},
		{name: "scopes: none configured nor in the challenge, scopes_supported is requested", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp",
					RequiredScopes: []string{"mcp:read"}}))
				mux.Handle("/.well-known/oauth-protected-resource/mcp",
					authserver.ProtectedResourceMetadataWithScopes(base+"/mcp", []string{"mcp:read"}, f.asURL))
				return f.noScopes(f.oauthServer(base+"/mcp", true))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				f.wantScopes(t, r, []string{"mcp:read"}, oauth.ScopesFromMetadata)
			}},
		{name: "scopes: none configured or named, none requested", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.noScopes(f.oauthServer(f.protected(streamableHandler("p"), nil, ""), true))
			},
			more: func(t *testing.T, f *fixture, r Result) { f.wantScopes(t, r, nil, oauth.ScopesNone) }},
		{name: "scopes: configured ones win over the challenge's", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				mux, base := f.mux()
				prm := base + "/.well-known/oauth-protected-resource/mcp"
				mux.Handle("/mcp", f.as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: base + "/mcp", MetadataURL: prm,
					RequiredScopes: []string{"mcp:read"}, ScopeInChallenge: true}))
				mux.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(base+"/mcp", f.asURL))
				s := f.oauthServer(base+"/mcp", true)
				s.Auth.Scopes = []string{"mcp:read", "mcp:extra"}
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				f.wantScopes(t, r, []string{"mcp:read", "mcp:extra"}, oauth.ScopesConfigured)
			}},
	}
}

// mux serves an empty mux on loopback for a row to fill.
func (f *fixture) mux() (*http.ServeMux, string) {
	mux := http.NewServeMux()
	return mux, serve(f.t, mux).URL
}

// bearerServer is h at /mcp, checked with a static bearer token (the test secret).
func (f *fixture) bearerServer(h http.Handler) config.Server {
	s := f.server(serve(f.t, h).URL + "/mcp")
	s.Auth = config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: "MCPW_TEST_SECRET"}}
	return s
}

func (f *fixture) noScopes(s config.Server) config.Server {
	s.Auth.Scopes = nil
	return s
}

// wantScopes checks what the result says was requested and what reached the token endpoint.
func (f *fixture) wantScopes(t *testing.T, r Result, scopes []string, source string) {
	t.Helper()
	if r.Token == nil || !slices.Equal(r.Token.RequestedScopes, scopes) || r.Token.ScopeSource != source {
		t.Fatalf("token info %+v, want requested scopes %q from %q", r.Token, scopes, source)
	}
	got := f.as.Received()
	if len(got) == 0 || !slices.Equal(got[len(got)-1].Scopes, scopes) {
		t.Fatalf("token endpoint received %+v, want scopes %q", got, scopes)
	}
}

// challengeHandler answers every request with status and the given WWW-Authenticate.
func challengeHandler(status int, challenge string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", challenge)
		http.Error(w, http.StatusText(status), status)
	})
}
