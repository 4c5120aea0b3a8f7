package authserver_test

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
)

func TestIssuesTokenWithBasicAuth(t *testing.T) {
	// A secret with characters that §2.3.1 form-encoding changes, to prove we decode it.
	secret := "s3 cr+et:%/é"
	as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"probe:1": secret}, Lifetime: 90 * time.Second})

	r := postToken(t, ts, form("grant_type", "client_credentials", "scope", "mcp:read mcp:ping",
		"resource", "https://mcp.example/api", "audience", "billing"), []string{"probe:1", secret})

	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.raw)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(90) || r.body["scope"] != "mcp:read mcp:ping" {
		t.Errorf("unexpected token response %s", r.raw)
	}
	tok, _ := r.body["access_token"].(string)
	info, ok := as.Introspect(tok)
	if !ok {
		t.Fatalf("issued token %q does not introspect", tok)
	}
	if info.ClientID != "probe:1" || info.Resource != "https://mcp.example/api" || info.Audience != "billing" ||
		!slices.Equal(info.Scopes, []string{"mcp:read", "mcp:ping"}) {
		t.Errorf("introspection = %+v", info)
	}
	got := as.Received()
	if len(got) != 1 || got[0].AuthMethod != authserver.MethodBasic || !got[0].BasicHeader || got[0].SecretInBody || got[0].Result != "ok" {
		t.Errorf("received = %+v", got)
	}
}

func TestIssuesTokenWithPostAuth(t *testing.T) {
	as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
	r := postToken(t, ts, form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s"), nil)
	if r.status != http.StatusOK || r.body["access_token"] == nil {
		t.Fatalf("status %d, body %s", r.status, r.raw)
	}
	if r.body["expires_in"] != float64(3600) {
		t.Errorf("default lifetime: expires_in = %v, want 3600", r.body["expires_in"])
	}
	got := as.Received()[0]
	if got.AuthMethod != authserver.MethodPost || got.BasicHeader || !got.SecretInBody || !got.ClientIDInBody {
		t.Errorf("received = %+v", got)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	clients := map[string]string{"c": "s"}
	tests := []struct {
		name       string
		opts       authserver.Options
		form       []string
		basic      []string
		wantStatus int
		wantCode   string
		wantBasic  bool // WWW-Authenticate: Basic expected
	}{
		{"wrong secret via basic", authserver.Options{}, []string{"grant_type", "client_credentials"}, []string{"c", "bad"}, 401, "invalid_client", true},
		{"wrong secret via post", authserver.Options{}, []string{"grant_type", "client_credentials", "client_id", "c", "client_secret", "bad"}, nil, 401, "invalid_client", false},
		{"unknown client", authserver.Options{}, []string{"grant_type", "client_credentials"}, []string{"nobody", "s"}, 401, "invalid_client", true},
		{"no client authentication", authserver.Options{}, []string{"grant_type", "client_credentials", "client_id", "c"}, nil, 401, "invalid_client", false},
		{"method not allowed", authserver.Options{Methods: []string{authserver.MethodPost}}, []string{"grant_type", "client_credentials"}, []string{"c", "s"}, 401, "invalid_client", true},
		{"two methods at once", authserver.Options{}, []string{"grant_type", "client_credentials", "client_id", "c", "client_secret", "s"}, []string{"c", "s"}, 400, "invalid_request", false},
		{"missing grant_type", authserver.Options{}, []string{"scope", "a"}, []string{"c", "s"}, 400, "invalid_request", false},
		{"repeated parameter", authserver.Options{}, []string{"grant_type", "client_credentials", "scope", "a", "scope", "b"}, []string{"c", "s"}, 400, "invalid_request", false},
		{"other grant type", authserver.Options{}, []string{"grant_type", "password"}, []string{"c", "s"}, 400, "unsupported_grant_type", false},
		{"unknown scope", authserver.Options{Scopes: []string{"mcp:read"}}, []string{"grant_type", "client_credentials", "scope", "mcp:read admin"}, []string{"c", "s"}, 400, "invalid_scope", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Clients = clients
			_, ts := newTestServer(t, tt.opts)
			r := postToken(t, ts, form(tt.form...), tt.basic)
			if r.status != tt.wantStatus || r.body["error"] != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tt.wantStatus, tt.wantCode)
			}
			if desc, _ := r.body["error_description"].(string); desc == "" {
				t.Errorf("no error_description in %s", r.raw)
			}
			if gotBasic := strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic"); gotBasic != tt.wantBasic {
				t.Errorf("WWW-Authenticate = %q, want Basic challenge: %v", r.header.Get("WWW-Authenticate"), tt.wantBasic)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("error response without Cache-Control: no-store")
			}
		})
	}
}

func TestTokenEndpointRequiresFormPost(t *testing.T) {
	_, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
	get, _ := http.NewRequest(http.MethodGet, ts.URL+"/token?grant_type=client_credentials", nil)
	get.SetBasicAuth("c", "s")
	if r := do(t, ts.Client(), get); r.status != http.StatusMethodNotAllowed || r.body["error"] != "invalid_request" {
		t.Errorf("GET: %d %s", r.status, r.raw)
	}
	js, _ := http.NewRequest(http.MethodPost, ts.URL+"/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	js.Header.Set("Content-Type", "application/json")
	js.SetBasicAuth("c", "s")
	if r := do(t, ts.Client(), js); r.status != http.StatusBadRequest || r.body["error"] != "invalid_request" {
		t.Errorf("JSON body: %d %s", r.status, r.raw)
	}
}

func TestRotateSecret(t *testing.T) {
	as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "old"}})
	old := postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "old"})
	as.RotateSecret("c", "new")
	if r := postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "old"}); r.status != 401 {
		t.Errorf("old secret after rotation: status %d", r.status)
	}
	if r := postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "new"}); r.status != 200 {
		t.Errorf("new secret after rotation: status %d %s", r.status, r.raw)
	}
	if _, ok := as.Introspect(old.body["access_token"].(string)); !ok {
		t.Errorf("a token issued before rotation should stay valid")
	}
	if as.Requests() != 3 {
		t.Errorf("Requests() = %d, want 3", as.Requests())
	}
}

func TestRevokeAndExpiry(t *testing.T) {
	var offset atomic.Int64 // the handler reads the clock on another goroutine
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	advance := func(d time.Duration) { offset.Add(int64(d)) }
	as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}, Lifetime: time.Minute,
		Now: func() time.Time { return start.Add(time.Duration(offset.Load())) }})
	issue := func() string {
		return postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "s"}).body["access_token"].(string)
	}
	a, b, c := issue(), issue(), issue()
	if a == b || b == c {
		t.Fatal("tokens must be unique")
	}
	as.Revoke(a)
	if _, ok := as.Introspect(a); ok {
		t.Error("revoked token still introspects")
	}
	if _, ok := as.Introspect(b); !ok {
		t.Error("revoking one token revoked another")
	}
	advance(time.Minute)
	if _, ok := as.Introspect(b); ok {
		t.Error("expired token still introspects")
	}
	advance(-time.Second)
	as.RevokeAll()
	if _, ok := as.Introspect(c); ok {
		t.Error("RevokeAll left a token valid")
	}
}
