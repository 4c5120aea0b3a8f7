package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// TestDiscoverRootResourceForPathServer is the conformance suite's auth/metadata-var2 layout:
// one protected-resource document per host, at the root well-known URL, whose resource is the
// origin; the MCP endpoint is /mcp; the issuer has a path.
func TestDiscoverRootResourceForPathServer(t *testing.T) {
	for _, resource := range []string{"", "/"} {
		t.Run("resource origin"+resource, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			issuer := f.asHTTP.URL + "/tenant1"
			f.as.SetIssuer(issuer)
			f.asMux().Handle("/tenant1/", http.StripPrefix("/tenant1", f.as))
			f.asMux().Handle("/.well-known/oauth-authorization-server/tenant1", f.as.MetadataHandler())
			f.mcp.Handle("/.well-known/oauth-protected-resource", authserver.ProtectedResourceMetadata(f.mcpHTTP.URL+resource, issuer))
			f.protect("") // the challenge names no document: only the root well-known leads there

			md, err := discover(t, f)
			if err != nil {
				t.Fatal(err)
			}
			if md.Resource != f.mcpHTTP.URL+resource || md.TokenEndpoint != issuer+"/token" || md.Issuer != issuer ||
				md.Source != f.mcpHTTP.URL+"/.well-known/oauth-protected-resource" || md.Legacy {
				t.Errorf("metadata %+v", md)
			}
		})
	}
}

// TestDiscoverRefusesResourcesOutsideServerPath: every document that is not for the server's
// URL or a segment-wise prefix of it on the same origin stops discovery before anything is
// sent to an authorization server.
func TestDiscoverRefusesResourcesOutsideServerPath(t *testing.T) {
	tests := []struct {
		name     string
		resource func(f *fleet) string
	}{
		{"sibling path sharing a prefix (/mcpx)", func(f *fleet) string { return f.mcpHTTP.URL + "/mcpx" }},
		{"a path below the server's", func(f *fleet) string { return f.url + "/v2" }},
		{"another path", func(f *fleet) string { return f.mcpHTTP.URL + "/other" }},
		{"the same host by another name", func(f *fleet) string {
			return strings.Replace(f.mcpHTTP.URL, "127.0.0.1", "localhost", 1) + "/mcp"
		}},
		{"another port", func(f *fleet) string { return f.asHTTP.URL + "/mcp" }},
		{"another scheme", func(f *fleet) string { return strings.Replace(f.url, "http://", "https://", 1) }},
		{"another host's root", func(f *fleet) string { return "https://elsewhere.example/" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			f.mcp.Handle("/.well-known/oauth-protected-resource", authserver.ProtectedResourceMetadata(tt.resource(f), f.asHTTP.URL))
			f.protect("")
			_, err := discover(t, f)
			if err == nil || err.Class != "discovery.resource_mismatch" {
				t.Fatalf("got %#v, want discovery.resource_mismatch", err)
			}
			if n := f.asHits.all.Load(); n != 0 {
				t.Errorf("authorization server contacted %d times", n)
			}
		})
	}
}

// TestLookupResource reads the protected-resource metadata named by a 401 already received,
// without a ping of its own, by the same rules as discovery.
func TestLookupResource(t *testing.T) {
	type want struct {
		class   string // "" for success
		metaURL string
		servers []string
		scopes  []string
	}
	tests := []struct {
		name      string
		setup     func(f *fleet) (challenge []string)
		want      func(f *fleet) want
		serverURL func(f *fleet) string
	}{
		{"from the challenge", func(f *fleet) []string {
			f.mcp.Handle("/meta", authserver.ProtectedResourceMetadataWithScopes(f.url, []string{"mcp:read"}, f.asHTTP.URL, "https://as2.example"))
			return []string{`Bearer resource_metadata="` + f.mcpHTTP.URL + `/meta"`}
		}, func(f *fleet) want {
			return want{metaURL: f.mcpHTTP.URL + "/meta", servers: []string{f.asHTTP.URL, "https://as2.example"}, scopes: []string{"mcp:read"}}
		}, nil},
		{"well-known when the challenge names none", func(f *fleet) []string {
			f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
			return []string{`Bearer realm="mcp"`}
		}, func(f *fleet) want {
			return want{metaURL: f.mcpHTTP.URL + "/.well-known/oauth-protected-resource/mcp", servers: []string{f.asHTTP.URL}}
		}, nil},
		{"a document for another resource is not believed", func(f *fleet) []string {
			f.mcp.Handle("/meta", authserver.ProtectedResourceMetadata("https://elsewhere.example/mcp", "https://phish.example"))
			return []string{`Bearer resource_metadata="` + f.mcpHTTP.URL + `/meta"`}
		}, func(f *fleet) want { return want{class: "discovery.resource_mismatch"} }, nil},
		{"none anywhere", func(f *fleet) []string { return nil },
			func(f *fleet) want { return want{class: "discovery.no_metadata"} }, nil},
		{"plaintext metadata URL for an https server", func(f *fleet) []string {
			return []string{`Bearer resource_metadata="` + f.mcpHTTP.URL + `/meta"`}
		}, func(f *fleet) want { return want{class: "discovery.bad_metadata"} },
			func(f *fleet) string { return "https://127.0.0.1:1/mcp" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			f.protect("")
			challenge := tt.setup(f)
			serverURL := f.url
			if tt.serverURL != nil {
				serverURL = tt.serverURL(f)
			}
			w := tt.want(f)
			info, err := oauth.LookupResource(context.Background(), newClient(t), serverURL, nil, challenge)
			if w.class != "" {
				oerr, ok := err.(*oauth.Error)
				if info != nil || !ok || oerr.Class != w.class {
					t.Fatalf("got %+v, %#v; want %s", info, err, w.class)
				}
			} else if err != nil || info.MetadataURL != w.metaURL || strings.Join(info.AuthorizationServers, " ") != strings.Join(w.servers, " ") ||
				strings.Join(info.ScopesSupported, " ") != strings.Join(w.scopes, " ") {
				t.Fatalf("got %+v, %v; want %+v", info, err, w)
			}
			if n := f.mcpHits.get("/mcp"); n != 0 {
				t.Errorf("the MCP endpoint was asked %d times; the caller already has its 401", n)
			}
			if n := f.asHits.all.Load(); n != 0 {
				t.Errorf("authorization server contacted %d times", n)
			}
		})
	}
}
