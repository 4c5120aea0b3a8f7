package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
)

func TestProtect(t *testing.T) {
	as, asTS := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
	issue := func(kv ...string) string {
		r := postToken(t, asTS, form(append([]string{"grant_type", "client_credentials"}, kv...)...), []string{"c", "s"})
		return r.body["access_token"].(string)
	}
	const resource = "https://mcp.example/api"
	const metaURL = "https://mcp.example/.well-known/oauth-protected-resource/api"
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
	rs := httptest.NewServer(as.Protect(ok, authserver.Protection{
		ResourceURL: resource, MetadataURL: metaURL, RequiredScopes: []string{"mcp:read"}}))
	defer rs.Close()

	good := issue("scope", "mcp:read", "resource", resource)
	revoked := issue("scope", "mcp:read")
	as.Revoke(revoked)
	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantParts  []string // substrings of WWW-Authenticate
		wantNot    string
	}{
		{"no token", "", 401, []string{`Bearer`, `resource_metadata="` + metaURL + `"`}, "error="},
		{"unknown token", "Bearer nope", 401, []string{`error="invalid_token"`, `resource_metadata=`}, ""},
		{"revoked token", "Bearer " + revoked, 401, []string{`error="invalid_token"`}, ""},
		{"token for another resource", "Bearer " + issue("scope", "mcp:read", "resource", "https://other.example"), 401, []string{`error="invalid_token"`}, ""},
		{"missing scope", "Bearer " + issue("scope", "mcp:write"), 403, []string{`error="insufficient_scope"`, `scope="mcp:read"`}, ""},
		{"valid", "bearer " + good, 200, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, rs.URL, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			r := do(t, rs.Client(), req)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d", r.status, tt.wantStatus)
			}
			h := r.header.Get("WWW-Authenticate")
			for _, p := range tt.wantParts {
				if !strings.Contains(h, p) {
					t.Errorf("WWW-Authenticate %q lacks %q", h, p)
				}
			}
			if tt.wantNot != "" && strings.Contains(h, tt.wantNot) {
				t.Errorf("WWW-Authenticate %q should not contain %q", h, tt.wantNot)
			}
			if tt.wantStatus == 200 && r.raw != "hello" {
				t.Errorf("body %q", r.raw)
			}
		})
	}
}

func TestProtectNamesScopesInChallenges(t *testing.T) {
	as, _ := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
	for _, tt := range []struct {
		name    string
		p       authserver.Protection
		wantHas bool
	}{
		{"asked for", authserver.Protection{RequiredScopes: []string{"mcp:read", "mcp:tools"}, ScopeInChallenge: true}, true},
		{"not asked for", authserver.Protection{RequiredScopes: []string{"mcp:read", "mcp:tools"}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := httptest.NewServer(as.Protect(ok, tt.p))
			defer rs.Close()
			for _, auth := range []string{"", "Bearer unknown"} {
				req, _ := http.NewRequest(http.MethodPost, rs.URL, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				r := do(t, rs.Client(), req)
				h := r.header.Get("WWW-Authenticate")
				if r.status != 401 || strings.Contains(h, `scope="mcp:read mcp:tools"`) != tt.wantHas {
					t.Errorf("auth %q: %d %q", auth, r.status, h)
				}
			}
		})
	}
}
