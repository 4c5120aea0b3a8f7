package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
)

func TestAuthorizationServerMetadata(t *testing.T) {
	_, ts := newTestServer(t, authserver.Options{Methods: []string{authserver.MethodPost}})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", nil)
	r := do(t, ts.Client(), req)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if r.body["issuer"] != ts.URL || r.body["token_endpoint"] != ts.URL+"/token" {
		t.Errorf("metadata %s", r.raw)
	}
	methods, _ := r.body["token_endpoint_auth_methods_supported"].([]any)
	grants, _ := r.body["grant_types_supported"].([]any)
	if len(methods) != 1 || methods[0] != "client_secret_post" || len(grants) != 1 || grants[0] != "client_credentials" {
		t.Errorf("metadata %s", r.raw)
	}
}

func TestMetadataIssuerFromRequestWhenUnset(t *testing.T) {
	as := authserver.New(authserver.Options{})
	ts := httptest.NewServer(as)
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", nil)
	if r := do(t, ts.Client(), req); r.body["issuer"] != ts.URL {
		t.Errorf("issuer %v, want %s", r.body["issuer"], ts.URL)
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	ts := httptest.NewServer(authserver.ProtectedResourceMetadata("https://mcp.example/api", "https://as.example"))
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	r := do(t, ts.Client(), req)
	servers, _ := r.body["authorization_servers"].([]any)
	if r.status != 200 || r.body["resource"] != "https://mcp.example/api" || len(servers) != 1 || servers[0] != "https://as.example" {
		t.Errorf("got %d %s", r.status, r.raw)
	}
}

func TestProtectedResourceMetadataWithScopes(t *testing.T) {
	ts := httptest.NewServer(authserver.ProtectedResourceMetadataWithScopes("https://mcp.example/api",
		[]string{"mcp:read", "mcp:tools"}, "https://as.example"))
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	r := do(t, ts.Client(), req)
	scopes, _ := r.body["scopes_supported"].([]any)
	servers, _ := r.body["authorization_servers"].([]any)
	if r.status != 200 || len(scopes) != 2 || scopes[0] != "mcp:read" || scopes[1] != "mcp:tools" ||
		len(servers) != 1 || servers[0] != "https://as.example" {
		t.Errorf("got %d %s", r.status, r.raw)
	}
}
