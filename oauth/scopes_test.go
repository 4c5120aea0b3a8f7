package oauth_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// TestScopeSelection is the MCP authorization spec's scope selection for a client with no
// scopes configured: the scope of the server's 401 challenge, else the protected-resource
// metadata's scopes_supported, else no scope parameter at all. Configured scopes always win.
func TestScopeSelection(t *testing.T) {
	tests := []struct {
		name        string
		challenge   string   // extra auth-params of the 401 to the discovery ping
		supported   []string // scopes_supported; nil: the document has none
		configured  []string
		wantScopes  []string
		wantSource  string
		wantRequest []string // the scopes the token endpoint received
	}{
		{"the challenge's scope", `, scope="mcp:read mcp:tools"`, []string{"mcp:read", "mcp:tools", "mcp:admin"}, nil,
			[]string{"mcp:read", "mcp:tools"}, oauth.ScopesFromChallenge, []string{"mcp:read", "mcp:tools"}},
		{"scopes_supported when the challenge names none", "", []string{"mcp:read", "mcp:admin"}, nil,
			[]string{"mcp:read", "mcp:admin"}, oauth.ScopesFromMetadata, []string{"mcp:read", "mcp:admin"}},
		{"a challenge scope with nothing usable falls through", `, scope="\"quoted\""`, []string{"mcp:read"}, nil,
			[]string{"mcp:read"}, oauth.ScopesFromMetadata, []string{"mcp:read"}},
		{"none anywhere", "", nil, nil, nil, oauth.ScopesNone, nil},
		{"configured scopes win", `, scope="mcp:tools"`, []string{"mcp:admin"}, []string{"mine"},
			[]string{"mine"}, oauth.ScopesConfigured, []string{"mine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			prm := f.mcpHTTP.URL + "/.well-known/oauth-protected-resource/mcp"
			f.mcp.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+prm+`"`+tt.challenge)
				w.WriteHeader(http.StatusUnauthorized)
			})
			doc := authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL)
			if tt.supported != nil {
				doc = authserver.ProtectedResourceMetadataWithScopes(f.url, tt.supported, f.asHTTP.URL)
			}
			f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", doc)

			md, err := discover(t, f)
			if err != nil {
				t.Fatal(err)
			}
			cr := oauth.Credentials{ClientID: clientID, ClientSecret: secret, Scopes: tt.configured}.WithMetadata(md)
			if !slices.Equal(cr.Scopes, tt.wantScopes) || cr.ScopeSource() != tt.wantSource {
				t.Fatalf("scopes %q from %q, want %q from %q", cr.Scopes, cr.ScopeSource(), tt.wantScopes, tt.wantSource)
			}
			if _, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), cr); err != nil {
				t.Fatal(err)
			}
			got := f.as.Received()
			if len(got) != 1 || !slices.Equal(got[0].Scopes, tt.wantRequest) {
				t.Errorf("token endpoint received %+v, want scope %q", got, tt.wantRequest)
			}
		})
	}
}

// TestScopeSourceWithoutDiscovery: a configured token URL means no discovery, so the scopes
// are the configured ones or none.
func TestScopeSourceWithoutDiscovery(t *testing.T) {
	if got := (oauth.Credentials{Scopes: []string{"a"}}).WithMetadata(nil).ScopeSource(); got != oauth.ScopesConfigured {
		t.Errorf("configured: %q", got)
	}
	if got := (oauth.Credentials{}).WithMetadata(nil).ScopeSource(); got != oauth.ScopesNone {
		t.Errorf("nothing: %q", got)
	}
	if got := (oauth.Credentials{}).ScopeSource(); got != oauth.ScopesNone {
		t.Errorf("zero credentials: %q", got)
	}
}
