package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// fleet is an MCP server behind OAuth plus its authorization server, all over httptest.
type fleet struct {
	as      *authserver.Server
	asHTTP  *httptest.Server
	asHits  *counting
	mcp     *http.ServeMux // routes of the resource server's origin
	mcpHTTP *httptest.Server
	mcpHits *counting
	url     string // the MCP endpoint, <origin>/mcp
}

func newFleet(t *testing.T, opts authserver.Options) *fleet {
	t.Helper()
	f := &fleet{mcp: http.NewServeMux()}
	if opts.Clients == nil {
		opts.Clients = map[string]string{clientID: secret}
	}
	f.as = authserver.New(opts)
	asMux := http.NewServeMux()
	asMux.Handle("/", f.as)
	f.asHits = count(asMux)
	f.asHTTP = serve(t, f.asHits)
	f.as.SetIssuer(f.asHTTP.URL)
	f.mcpHits = count(f.mcp)
	f.mcpHTTP = serve(t, f.mcpHits)
	f.url = f.mcpHTTP.URL + "/mcp"
	return f
}

// protect mounts the MCP endpoint behind the authorization server; metadataURL "" sends no
// resource_metadata in challenges.
func (f *fleet) protect(metadataURL string) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	})
	f.mcp.Handle("/mcp", f.as.Protect(ok, authserver.Protection{ResourceURL: f.url, MetadataURL: metadataURL}))
}

// asMux gives access to the authorization server's routes, for issuers with paths.
func (f *fleet) asMux() *http.ServeMux { return f.asHits.h.(*http.ServeMux) }

func discover(t *testing.T, f *fleet) (*oauth.Metadata, *oauth.Error) {
	t.Helper()
	md, err := oauth.Discover(context.Background(), newClient(t), f.url, nil)
	if err == nil {
		return md, nil
	}
	var oerr *oauth.Error
	if !errors.As(err, &oerr) {
		t.Fatalf("error is not *oauth.Error: %#v", err)
	}
	return nil, oerr
}

func TestDiscoverViaResourceMetadataHeader(t *testing.T) {
	f := newFleet(t, authserver.Options{Methods: []string{authserver.MethodPost}})
	// Deliberately not at a well-known path: only the challenge can lead there.
	f.mcp.Handle("/meta/prm.json", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
	f.protect(f.mcpHTTP.URL + "/meta/prm.json")

	md, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if md.TokenEndpoint != f.asHTTP.URL+"/token" || md.Issuer != f.asHTTP.URL || md.Resource != f.url ||
		!slices.Equal(md.AuthMethods, []string{"client_secret_post"}) {
		t.Errorf("metadata %+v", md)
	}
	if !strings.HasPrefix(md.Source, "resource_metadata header") {
		t.Errorf("source %q", md.Source)
	}
	if f.as.Requests() != 0 {
		t.Errorf("discovery must not touch the token endpoint")
	}
}

func TestDiscoverViaWellKnownWithPath(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	f.protect("") // no resource_metadata in the challenge
	f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))

	md, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.mcpHTTP.URL + "/.well-known/oauth-protected-resource/mcp"; md.Source != want {
		t.Errorf("source %q, want %q", md.Source, want)
	}
	if f.mcpHits.get("/.well-known/oauth-protected-resource") != 0 {
		t.Errorf("fell back to the root document although the path document exists")
	}
}

func TestDiscoverFallsBackToRootWellKnown(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	f.protect("")
	f.mcp.Handle("/.well-known/oauth-protected-resource", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
	md, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if f.mcpHits.get("/.well-known/oauth-protected-resource/mcp") != 1 || md.Source != f.mcpHTTP.URL+"/.well-known/oauth-protected-resource" {
		t.Errorf("path document not tried first, or wrong source %q", md.Source)
	}
}

func TestDiscoverIssuerWithPath(t *testing.T) {
	tests := []struct {
		name     string
		metaPath string // where the tenant's metadata is served
	}{
		{"RFC 8414 insertion", "/.well-known/oauth-authorization-server/tenant1"},
		{"OpenID insertion", "/.well-known/openid-configuration/tenant1"},
		{"OpenID appended", "/tenant1/.well-known/openid-configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			issuer := f.asHTTP.URL + "/tenant1"
			f.as.SetIssuer(issuer)
			f.asMux().Handle("/tenant1/", http.StripPrefix("/tenant1", f.as))
			f.asMux().Handle(tt.metaPath, f.as.MetadataHandler())
			f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, issuer))
			f.protect("")

			md, err := discover(t, f)
			if err != nil {
				t.Fatal(err)
			}
			if md.Issuer != issuer || md.TokenEndpoint != issuer+"/token" {
				t.Fatalf("metadata %+v", md)
			}
			// The root /.well-known/oauth-authorization-server is the server's own (issuer
			// without /tenant1); a client ignoring the path would have accepted it.
			if f.asHits.get("/.well-known/oauth-authorization-server") != 0 {
				t.Errorf("root metadata fetched; the issuer's path was not inserted")
			}

			// End to end: the discovered endpoint issues a token the MCP server accepts.
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
				t.Errorf("MCP server answered %d to the discovered token", resp.StatusCode)
			}
			if info, _ := cache.Info(cr); info.TokenURLSource != "discovered" || info.TokenURL != issuer+"/token" {
				t.Errorf("info %+v", info)
			}
		})
	}
}

func TestResourceMismatchSendsNoCredentials(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	// The document claims to describe another resource: a phishing setup.
	f.mcp.Handle("/meta", authserver.ProtectedResourceMetadata("https://elsewhere.example/mcp", f.asHTTP.URL))
	f.protect(f.mcpHTTP.URL + "/meta")

	cache := newCache(t, nil, oauth.Options{})
	md, err := cache.Discovered(context.Background(), nil, f.url, nil)
	var oerr *oauth.Error
	if md != nil || !errors.As(err, &oerr) || oerr.Class != "discovery.resource_mismatch" {
		t.Fatalf("got %+v, %#v", md, err)
	}
	if !strings.Contains(oerr.Msg, "elsewhere.example") || !strings.Contains(oerr.Msg, "refusing") {
		t.Errorf("message %q", oerr.Msg)
	}
	if f.as.Requests() != 0 || f.asHits.all.Load() != 0 {
		t.Errorf("authorization server contacted: %d token requests, %d requests in all", f.as.Requests(), f.asHits.all.Load())
	}
	// Nothing to fetch a token with: no token URL was learned.
	if _, err := cache.Token(context.Background(), oauth.Credentials{ClientID: clientID, ClientSecret: secret}.WithMetadata(md)); err == nil {
		t.Error("Token succeeded without a token URL")
	}
	if f.as.Requests() != 0 {
		t.Errorf("token endpoint received %d requests", f.as.Requests())
	}
}

func TestIssuerMismatchRejected(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	f.as.SetIssuer("https://impostor.example") // the document will claim another issuer
	f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
	f.protect("")
	_, err := discover(t, f)
	if err == nil || err.Class != "discovery.issuer_mismatch" || !strings.Contains(err.Msg, "impostor.example") {
		t.Fatalf("got %#v", err)
	}
}

func TestDiscoverFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fleet)
		wantClass string
	}{
		{"no metadata anywhere", func(f *fleet) { f.protect("") }, "discovery.no_metadata"},
		{"not JSON", func(f *fleet) {
			f.protect("")
			f.mcp.HandleFunc("/.well-known/oauth-protected-resource/mcp", func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("<html>hello</html>"))
			})
		}, "discovery.bad_metadata"},
		{"too large", func(f *fleet) {
			f.protect("")
			f.mcp.HandleFunc("/.well-known/oauth-protected-resource/mcp", func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"resource":"` + strings.Repeat("x", 2<<20) + `"}`))
			})
		}, "discovery.bad_metadata"},
		{"no authorization servers", func(f *fleet) {
			f.protect("")
			f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url))
		}, "discovery.bad_metadata"},
		{"authorization server has no metadata", func(f *fleet) {
			f.protect("")
			f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL+"/nothing-here"))
		}, "discovery.no_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t, authserver.Options{})
			tt.setup(f)
			_, err := discover(t, f)
			if err == nil || err.Class != tt.wantClass {
				t.Fatalf("got %#v, want %s", err, tt.wantClass)
			}
		})
	}
}

func TestDiscoverServerUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL + "/mcp"
	ts.Close()
	_, err := oauth.Discover(context.Background(), newClient(t), url, nil)
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "discovery.unreachable" {
		t.Fatalf("got %#v", err)
	}
}

func TestDiscoverSendsHeadersOnlyToTheServerWithoutCredentials(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	var seenAtServer, seenAtAS http.Header
	f.mcp.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		seenAtServer = r.Header.Clone()
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+f.mcpHTTP.URL+`/prm"`)
		w.WriteHeader(401)
	})
	f.mcp.Handle("/prm", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
	f.asMux().HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		seenAtAS = r.Header.Clone()
		f.as.MetadataHandler().ServeHTTP(w, r)
	})
	h := http.Header{"X-Tenant": {"blue"}, "Authorization": {"Bearer leaked"}, "Cookie": {"session=1"}}
	if _, err := oauth.Discover(context.Background(), newClient(t), f.url, h); err != nil {
		t.Fatal(err)
	}
	if seenAtServer.Get("X-Tenant") != "blue" || seenAtServer.Get("Authorization") != "" || seenAtServer.Get("Cookie") != "" {
		t.Errorf("server saw %v", seenAtServer)
	}
	if !strings.Contains(seenAtServer.Get("Accept"), "text/event-stream") {
		t.Errorf("ping Accept %q", seenAtServer.Get("Accept"))
	}
	if seenAtAS.Get("X-Tenant") != "" || seenAtAS.Get("Authorization") != "" {
		t.Errorf("authorization server saw %v", seenAtAS)
	}
}

func TestHTTPSServerRefusesPlaintextDiscoveredURLs(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/oauth-protected-resource/mcp" {
			authserver.ProtectedResourceMetadata("https://"+r.Host+"/mcp", f.asHTTP.URL).ServeHTTP(w, r) // http issuer
			return
		}
		w.WriteHeader(401)
	}))
	defer tlsServer.Close()
	client := tlsServer.Client()
	defer client.CloseIdleConnections()
	_, err := oauth.Discover(context.Background(), client, tlsServer.URL+"/mcp", nil)
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "discovery.bad_metadata" || f.asHits.all.Load() != 0 {
		t.Fatalf("got %#v; AS contacted %d times", err, f.asHits.all.Load())
	}
}

func TestDiscoveredIsCached(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(t, authserver.Options{})
	f.protect("")
	cache := newCache(t, clock, oauth.Options{DiscoveryTTL: time.Hour, DiscoveryErrorTTL: 30 * time.Second})
	ctx := context.Background()
	const prm = "/.well-known/oauth-protected-resource/mcp"

	// A failure is reused briefly, then retried.
	if _, err := cache.Discovered(ctx, nil, f.url, nil); err == nil {
		t.Fatal("expected no_metadata")
	}
	cache.Discovered(ctx, nil, f.url, nil)
	if f.mcpHits.get(prm) != 1 {
		t.Fatalf("failure not cached: %d fetches", f.mcpHits.get(prm))
	}
	f.mcp.Handle(prm, authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
	clock.Advance(31 * time.Second)
	md, err := cache.Discovered(ctx, nil, f.url, nil)
	if err != nil || md.TokenEndpoint == "" {
		t.Fatalf("after the failure TTL: %v", err)
	}

	// A success is reused for the TTL, also for an equivalent URL spelling.
	cache.Discovered(ctx, nil, strings.Replace(f.url, "http://", "HTTP://", 1)+"/", nil)
	clock.Advance(59 * time.Minute)
	cache.Discovered(ctx, nil, f.url, nil)
	if f.mcpHits.get(prm) != 2 {
		t.Errorf("success not cached: %d fetches", f.mcpHits.get(prm))
	}
	clock.Advance(2 * time.Minute)
	cache.Discovered(ctx, nil, f.url, nil)
	if f.mcpHits.get(prm) != 3 {
		t.Errorf("stale discovery reused: %d fetches", f.mcpHits.get(prm))
	}
}

func TestDiscoverDoesNotWaitOnAnOpenStream(t *testing.T) {
	// An unprotected server answering the ping with an SSE stream that never ends.
	release := make(chan struct{})
	f := newFleet(t, authserver.Options{})
	f.mcp.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, f.asHTTP.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := oauth.Discover(ctx, newClient(t), f.url, nil); err != nil {
		t.Fatalf("discovery blocked on the stream: %v", err)
	}
}

// A protected-resource document may list any number of authorization
// servers; discovery asks only the first few, so a hostile list cannot turn
// one check into thousands of requests.
func TestDiscoverAsksAtMostAFewAuthorizationServers(t *testing.T) {
	f := newFleet(t, authserver.Options{})
	var listed []string
	for i := range 50 {
		listed = append(listed, f.asHTTP.URL+"/as"+strings.Repeat("x", i))
	}
	f.mcp.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(f.url, listed...))
	f.protect("")
	_, err := discover(t, f)
	if err == nil || err.Class != "discovery.no_metadata" {
		t.Fatalf("got %#v, want discovery.no_metadata", err)
	}
	if n := f.asHits.all.Load(); n > int64(3*oauth.MaxAuthorizationServers) || oauth.MaxAuthorizationServers > 10 {
		t.Errorf("%d requests to the authorization servers for %d listed; want at most %d (3 per server)",
			n, len(listed), 3*oauth.MaxAuthorizationServers)
	}
}
