package oauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

func TestTokenSendsExactlyTheChosenAuthStyle(t *testing.T) {
	tests := []struct {
		method       oauth.Method
		wantReceived string
		wantHeader   bool
		wantInBody   bool
	}{
		{oauth.ClientSecretBasic, authserver.MethodBasic, true, false},
		{"", authserver.MethodBasic, true, false}, // default
		{oauth.ClientSecretPost, authserver.MethodPost, false, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			// Allow only the expected method, so a client that fell back to the other style
			// (AuthStyleAutoDetect) would show up as a failed first request.
			as, ts := newAuthServer(t, authserver.Options{Methods: []string{tt.wantReceived}})
			cr := creds(ts.URL + "/token")
			cr.Method = tt.method
			tok, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), cr)
			if err != nil {
				t.Fatal(err)
			}
			got := as.Received()
			if len(got) != 1 {
				t.Fatalf("%d token requests, want exactly 1: %+v", len(got), got)
			}
			r := got[0]
			if r.AuthMethod != tt.wantReceived || r.BasicHeader != tt.wantHeader || r.SecretInBody != tt.wantInBody || r.Result != "ok" {
				t.Errorf("server received %+v", r)
			}
			if _, ok := as.Introspect(tok.AccessToken); !ok {
				t.Errorf("token not known to the server")
			}
		})
	}
}

func TestTokenSendsResourceAudienceAndScopes(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{})
	cr := creds(ts.URL + "/token")
	cr.Resource, cr.Audience, cr.Scopes = "https://mcp.example/api", "billing-api", []string{"mcp:read", "mcp:ping"}
	tok, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), cr)
	if err != nil {
		t.Fatal(err)
	}
	info, ok := as.Introspect(tok.AccessToken)
	if !ok || info.Resource != cr.Resource || info.Audience != cr.Audience || !slices.Equal(info.Scopes, cr.Scopes) {
		t.Errorf("server recorded %+v", info)
	}
	if got := as.Received()[0]; !slices.Equal(got.Resources, []string{cr.Resource}) {
		t.Errorf("resource params %q", got.Resources)
	}
	if tok.TokenType != "Bearer" || tok.ExpiryDefaulted || tok.Lifetime() != time.Hour {
		t.Errorf("token %v, lifetime %v", tok, tok.Lifetime())
	}
}

func TestGrantedScopesComeFromTheResponse(t *testing.T) {
	// Nothing requested: the server grants its default set and says so in `scope`.
	_, ts := newAuthServer(t, authserver.Options{Scopes: []string{"mcp:read", "mcp:tools"}})
	tok, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), creds(ts.URL+"/token"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tok.Scopes, []string{"mcp:read", "mcp:tools"}) {
		t.Errorf("scopes %q", tok.Scopes)
	}
}

func TestTokenWithoutExpiresInGetsDefaultLifetime(t *testing.T) {
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{})
	as.SetFault(authserver.Fault{Kind: authserver.FaultNoExpiresIn})
	cache := newCache(t, clock, oauth.Options{DefaultLifetime: 10 * time.Minute})
	cr := creds(ts.URL + "/token")
	tok, err := cache.Token(context.Background(), cr)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiryDefaulted || !tok.Expiry.Equal(clock.Now().Add(10*time.Minute)) {
		t.Errorf("token %v, want defaulted expiry at now+10m", tok)
	}
	if info, _ := cache.Info(cr); !info.ExpiryDefaulted || !info.Expiry.Equal(tok.Expiry) {
		t.Errorf("info %+v", info)
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(as *authserver.Server, cr *oauth.Credentials)
		wantClass  string
		wantStatus int
		wantInMsg  string
	}{
		{"wrong secret", func(as *authserver.Server, cr *oauth.Credentials) { as.RotateSecret(clientID, "other") },
			"token.invalid_client", 401, "invalid_client (client authentication failed), HTTP 401"},
		{"unknown scope", func(as *authserver.Server, cr *oauth.Credentials) { cr.Scopes = []string{"admin"} },
			"token.invalid_scope", 400, "invalid_scope"},
		{"status 500", func(as *authserver.Server, cr *oauth.Credentials) {
			as.SetFault(authserver.Fault{Kind: authserver.FaultStatus500})
		},
			"token.http_500", 500, "HTTP 500"},
		{"bad JSON", func(as *authserver.Server, cr *oauth.Credentials) {
			as.SetFault(authserver.Fault{Kind: authserver.FaultBadJSON})
		},
			"token.bad_json", 0, "not valid JSON"},
		{"no access token", func(as *authserver.Server, cr *oauth.Credentials) {
			as.SetFault(authserver.Fault{Kind: authserver.FaultNoAccessToken})
		}, "token.no_access_token", 0, "without an access_token"},
		{"private_key_jwt without a key file", func(as *authserver.Server, cr *oauth.Credentials) { cr.Method = oauth.PrivateKeyJWT },
			"token.bad_key", 0, "private_key_jwt needs a private key file, and none is configured"},
		{"unknown method", func(as *authserver.Server, cr *oauth.Credentials) { cr.Method = "tls_client_auth" },
			"token.unsupported_method", 0, "client authentication method tls_client_auth is not supported"},
		{"no token URL", func(as *authserver.Server, cr *oauth.Credentials) { cr.TokenURL = "" },
			"token.no_token_url", 0, "no token URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, ts := newAuthServer(t, authserver.Options{Scopes: []string{"mcp:read"}})
			cr := creds(ts.URL + "/token")
			tt.setup(as, &cr)
			cache := newCache(t, nil, oauth.Options{})
			tok, err := cache.Token(context.Background(), cr)
			var oerr *oauth.Error
			if !errors.As(err, &oerr) || tok != nil {
				t.Fatalf("got %v, %v; want *oauth.Error", tok, err)
			}
			if oerr.Class != tt.wantClass || oerr.Status != tt.wantStatus || !strings.Contains(oerr.Msg, tt.wantInMsg) {
				t.Errorf("got class %q status %d msg %q", oerr.Class, oerr.Status, oerr.Msg)
			}
			assertNoSecrets(t, err)
			if info, ok := cache.Info(cr); !ok || info.LastErrorClass != tt.wantClass || info.LastError != oerr.Msg || info.HasToken() {
				t.Errorf("info %+v", info)
			}
		})
	}
}

func TestInvalidClientCarriesCodeAndDescription(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{})
	as.RotateSecret(clientID, "rotated")
	_, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), creds(ts.URL+"/token"))
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Code != "invalid_client" || oerr.Description != "client authentication failed" {
		t.Fatalf("%#v", err)
	}
	if want := "token endpoint refused: invalid_client (client authentication failed), HTTP 401"; oerr.Error() != want {
		t.Errorf("Error() = %q, want %q", oerr.Error(), want)
	}
}

func TestTokenTimeout(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{})
	as.SetFault(authserver.Fault{Kind: authserver.FaultSlow, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cache := newCache(t, nil, oauth.Options{})
	cr := creds(ts.URL + "/token")
	_, err := cache.Token(ctx, cr)
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "token.timeout" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %#v", err)
	}
	assertNoSecrets(t, err)
	// The abandoned request is cancelled, counted and recorded (not left running).
	waitFor(t, func() bool { return cache.Requests()["error"] == 1 })
	if info, _ := cache.Info(cr); info.LastErrorClass != "token.timeout" || info.Refreshing {
		t.Errorf("info %+v", info)
	}
}

func TestTokenEndpointRefusingConnections(t *testing.T) {
	_, ts := newAuthServer(t, authserver.Options{})
	url := ts.URL + "/token"
	ts.Close() // the port now refuses connections
	_, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), creds(url))
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "token.unreachable" {
		t.Fatalf("got %#v", err)
	}
	if !strings.Contains(oerr.Msg, strings.TrimPrefix(strings.TrimSuffix(url, "/token"), "http://")) {
		t.Errorf("message should name the host: %q", oerr.Msg)
	}
	assertNoSecrets(t, err)
}

func TestTokenRedirectIsNotFollowed(t *testing.T) {
	// A redirect must not carry a client_secret_post body elsewhere.
	as, asTS := newAuthServer(t, authserver.Options{})
	redirect := serve(t, http.RedirectHandler(asTS.URL+"/token", http.StatusTemporaryRedirect))
	cr := creds(redirect.URL)
	cr.Method = oauth.ClientSecretPost
	_, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), cr)
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "token.http_307" {
		t.Fatalf("got %#v", err)
	}
	if as.Requests() != 0 {
		t.Errorf("the redirect target received %d requests", as.Requests())
	}
}

func TestErrorsNeverEchoTheSecret(t *testing.T) {
	// A token endpoint that echoes the client credentials back in its error. Not a real server,
	// on purpose: the point is what happens when a server misbehaves.
	echo := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_request","error_description":"bad secret ` + r.PostForm.Get("client_secret") +
			` raw ` + url.QueryEscape(r.PostForm.Get("client_secret")) + ` auth ` + r.Header.Get("Authorization") + `"}`))
	}))
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID) + ":" + url.QueryEscape(secret)))
	for _, m := range []oauth.Method{oauth.ClientSecretPost, oauth.ClientSecretBasic} {
		cr := creds(echo.URL)
		cr.Method = m
		_, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), cr)
		var oerr *oauth.Error
		if !errors.As(err, &oerr) || oerr.Class != "token.invalid_request" {
			t.Fatalf("got %#v", err)
		}
		if !strings.Contains(oerr.Description, "[REDACTED]") {
			t.Errorf("%s: description not scrubbed: %q", m, oerr.Description)
		}
		assertNoSecrets(t, err, basic)
	}
}

// waitFor polls cond; the background goroutines it waits on have their own short deadlines.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
