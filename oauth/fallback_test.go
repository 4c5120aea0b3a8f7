package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// The 2025-03-26 authorization spec had no protected-resource metadata: the MCP server's origin
// was its authorization server's base URL, with RFC 8414 metadata at the root well-known path.
// The conformance suite's auth/2025-03-26-oauth-metadata-backcompat serves it with issuer
// <origin>/oauth and token endpoint <origin>/oauth/token; that is the layout here.

// legacyFleet serves the MCP endpoint and, on the same origin, the authorization server.
func legacyFleet(t *testing.T) *fleet {
	f := newFleet(t, authserver.Options{})
	f.protect("") // 401 without resource_metadata, and no protected-resource metadata anywhere
	f.as.SetIssuer(f.mcpHTTP.URL + "/oauth")
	f.mcp.Handle("/oauth/", http.StripPrefix("/oauth", f.as))
	return f
}

func TestLegacyFallbackAuthorizationServerAtServerOrigin(t *testing.T) {
	f := legacyFleet(t)
	f.mcp.Handle("/.well-known/oauth-authorization-server", f.as.MetadataHandler())

	md, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	want := f.mcpHTTP.URL + "/.well-known/oauth-authorization-server"
	if md.TokenEndpoint != f.mcpHTTP.URL+"/oauth/token" || md.Issuer != f.mcpHTTP.URL+"/oauth" || !md.Legacy ||
		md.Resource != "" || !strings.Contains(md.Source, "2025-03-26") || !strings.Contains(md.Source, want) {
		t.Fatalf("metadata %+v", md)
	}

	// End to end: the token it finds is one the MCP server accepts.
	cache := newCache(t, nil, oauth.Options{})
	cr := oauth.Credentials{ClientID: clientID, ClientSecret: secret, Resource: f.url}.WithMetadata(md)
	tok, terr := cache.Token(context.Background(), cr)
	if terr != nil {
		t.Fatal(terr)
	}
	req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, rerr := newClient(t).Do(req)
	if rerr != nil {
		t.Fatal(rerr)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("MCP server answered %d", resp.StatusCode)
	}
}

// TestLegacyFallbackKeepsCredentialsOnTheServerOrigin: a root document on the server's origin
// that names a token endpoint or issuer elsewhere is refused; nothing reaches the other host.
func TestLegacyFallbackKeepsCredentialsOnTheServerOrigin(t *testing.T) {
	tests := []struct {
		name string
		doc  func(f *fleet) string
	}{
		{"token endpoint elsewhere", func(f *fleet) string {
			return `{"issuer":"` + f.mcpHTTP.URL + `","token_endpoint":"` + f.asHTTP.URL + `/token"}`
		}},
		{"issuer elsewhere", func(f *fleet) string {
			return `{"issuer":"` + f.asHTTP.URL + `","token_endpoint":"` + f.mcpHTTP.URL + `/token"}`
		}},
		{"token endpoint on the same host by another name", func(f *fleet) string {
			return `{"issuer":"` + f.mcpHTTP.URL + `","token_endpoint":"` + strings.Replace(f.mcpHTTP.URL, "127.0.0.1", "localhost", 1) + `/token"}`
		}},
		{"no token endpoint", func(f *fleet) string { return `{"issuer":"` + f.mcpHTTP.URL + `"}` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			f.protect("")
			doc := tt.doc(f)
			f.mcp.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(doc))
			})
			md, err := discover(t, f)
			if err == nil || err.Class != "discovery.bad_metadata" {
				t.Fatalf("got %+v, %#v; want discovery.bad_metadata", md, err)
			}
			if n := f.asHits.all.Load() + int64(f.mcpHits.get("/token")); n != 0 {
				t.Errorf("a token endpoint was contacted %d times", n)
			}
		})
	}
}

// TestLegacyFallbackNeverGuessesATokenEndpoint: with no metadata of either kind, discovery
// fails; the 2025-03-26 default of <origin>/token is not assumed (see docs/oauth.md).
func TestLegacyFallbackNeverGuessesATokenEndpoint(t *testing.T) {
	f := legacyFleet(t)
	_, err := discover(t, f)
	if err == nil || err.Class != "discovery.no_metadata" {
		t.Fatalf("got %#v, want discovery.no_metadata", err)
	}
	if !strings.Contains(err.Msg, "token_url") {
		t.Errorf("message %q does not say how to go on", err.Msg)
	}
	if f.mcpHits.get("/.well-known/oauth-authorization-server") != 1 {
		t.Errorf("the 2025-03-26 metadata location was not tried")
	}
	if n := f.mcpHits.get("/token") + f.mcpHits.get("/oauth/token") + int(f.as.Requests()); n != 0 {
		t.Errorf("a token endpoint was guessed and asked %d times", n)
	}
}

// TestLegacyFallbackOnlyAfterA401: a server that did not ask for authorization is not taken for
// its own authorization server.
func TestLegacyFallbackOnlyAfterA401(t *testing.T) {
	f := legacyFleet(t)
	f.mcp.Handle("/.well-known/oauth-authorization-server", f.as.MetadataHandler())
	open := http.NewServeMux()
	open.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	})
	open.Handle("/", f.mcp)
	srv := serve(t, open)
	_, err := oauth.Discover(context.Background(), newClient(t), srv.URL+"/mcp", nil)
	oerr, ok := err.(*oauth.Error)
	if !ok || oerr.Class != "discovery.no_metadata" {
		t.Fatalf("got %#v, want discovery.no_metadata", err)
	}
}

// TestLegacyFallbackNotWhenProtectedResourceMetadataIsWrong: the fallback is for servers
// without protected-resource metadata, not a way around a document that was refused.
func TestLegacyFallbackNotWhenProtectedResourceMetadataIsWrong(t *testing.T) {
	for _, tt := range []struct {
		name, class string
		doc         func(f *fleet) http.Handler
	}{
		{"for another resource", "discovery.resource_mismatch", func(f *fleet) http.Handler {
			return authserver.ProtectedResourceMetadata("https://elsewhere.example/mcp", f.asHTTP.URL)
		}},
		{"not JSON", "discovery.bad_metadata", func(f *fleet) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) })
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := legacyFleet(t)
			f.mcp.Handle("/.well-known/oauth-authorization-server", f.as.MetadataHandler())
			f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", tt.doc(f))
			_, err := discover(t, f)
			if err == nil || err.Class != tt.class {
				t.Fatalf("got %#v, want %s", err, tt.class)
			}
			if n := f.mcpHits.get("/.well-known/oauth-authorization-server"); n != 0 {
				t.Errorf("fell back to the 2025-03-26 layout (%d requests)", n)
			}
		})
	}
}
