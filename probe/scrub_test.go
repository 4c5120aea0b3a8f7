package probe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// echoing is a hostile initialize-era server that puts the credentials it
// receives into its serverInfo (the Authorization value raw in the name, and
// URL-encoded in the version, with the API-key header).
func echoing(t *testing.T, inner http.Handler) string {
	h := legacyOnly(inner)
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, _ := peek(r); m != "initialize" {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var msg map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil {
			t.Errorf("initialize answer is not JSON: %q", rec.Body.String())
			return
		}
		if res, ok := msg["result"].(map[string]any); ok {
			res["serverInfo"] = map[string]any{
				"name":    r.Header.Get("Authorization") + " key=" + r.Header.Get("X-Api-Key"),
				"version": url.QueryEscape(r.Header.Get("Authorization")),
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		_ = json.NewEncoder(w).Encode(msg)
	})).URL
}

// leaks lists the forms of secret found anywhere in v's JSON.
func leaks(t *testing.T, v any, secret string) []string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, form := range []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(string(raw), form) {
			found = append(found, form)
		}
	}
	return found
}

// Peers echo what they receive: every echoed credential is scrubbed from
// everything a result carries, whichever field the peer put it in.
func TestEchoedSecretsAreScrubbed(t *testing.T) {
	const secret = "Echo-Me-If-You-Dare+/=42"
	t.Setenv("MCPW_ECHO_SECRET", secret)
	ref := config.Secret{Env: "MCPW_ECHO_SECRET"}
	for name, auth := range map[string]config.Auth{
		"bearer":  {Type: config.AuthBearer, Token: ref},
		"header":  {Type: config.AuthHeader, Header: "X-Api-Key", Value: ref},
		"basic":   {Type: config.AuthBasic, Username: "ops", Password: ref},
		"api key": {Type: config.AuthNone},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			srv := f.server(echoing(t, streamableHandler("x")))
			srv.Auth = auth
			if name == "api key" {
				srv.Headers = map[string]config.Secret{"X-Api-Key": ref}
			}
			r := f.checker.Check(context.Background(), &srv)
			if r.Status != StatusHealthy {
				t.Fatalf("%s %s: %s", r.Status, r.Class, r.Message)
			}
			if !strings.Contains(r.ServerName, redacted) {
				t.Fatalf("server name %q: the echo did not arrive, the test proves nothing", r.ServerName)
			}
			if l := leaks(t, r, secret); len(l) > 0 {
				t.Fatalf("result carries %v: %+v", l, r)
			}
			if name == "basic" {
				if enc := base64.StdEncoding.EncodeToString([]byte("ops:" + secret)); strings.Contains(r.ServerName+r.ServerVersion, enc) ||
					strings.Contains(r.ServerVersion, url.QueryEscape(enc)) {
					t.Fatalf("Basic credential shown: %q %q", r.ServerName, r.ServerVersion)
				}
			}
		})
	}
}

// The issued access token echoed into serverInfo, and the client secret
// echoed into the granted scope, are scrubbed from results and snapshots.
func TestEchoedTokenAndSecretScopeAreScrubbed(t *testing.T) {
	f := newFixture(t)
	f.as.SetFault(authserver.Fault{Kind: authserver.FaultEchoSecret})
	srv := f.oauthServer(echoing(t, f.as.Protect(legacyOnly(streamableHandler("x")), authserver.Protection{})), false)
	pool := NewPool(&config.File{Servers: []config.Server{srv}, Concurrency: 1, PerHost: 1}, f.checker)
	r := pool.Sweep(context.Background())[0]
	if r.Status != StatusHealthy {
		t.Fatalf("%s %s: %s", r.Status, r.Class, r.Message)
	}
	tok, err := f.checker.Tokens.Token(context.Background(), *pool.byName["srv"].creds)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.ServerName, "Bearer "+redacted) {
		t.Fatalf("server name %q: want the echoed token redacted", r.ServerName)
	}
	if l := leaks(t, r, tok.AccessToken); len(l) > 0 {
		t.Fatalf("result carries the access token: %+v", r)
	}
	snap := pool.Snapshot()
	for what, v := range map[string]any{"result": r, "snapshot": snap} {
		if l := leaks(t, v, testSecret); len(l) > 0 {
			t.Fatalf("%s carries the client secret (%v)", what, l)
		}
	}
	if st := snap.Servers[0].Token; st == nil || !strings.Contains(strings.Join(st.Scopes, " "), redacted) {
		t.Fatalf("live token scopes %+v: the echo did not arrive, the test proves nothing", st)
	}
}

// A server names its experimental capabilities itself: an echoed secret
// there is scrubbed like one in serverInfo (capabilities reach JSON, the
// detail view and change events).
func TestCapabilityNamesAreScrubbed(t *testing.T) {
	const secret = "s3cr3t-bearer-value"
	res := Result{Capabilities: []string{"tools", "experimental." + secret}}
	scrubResult(&res, secretForms([]string{secret}))
	for _, c := range res.Capabilities {
		if strings.Contains(c, secret) {
			t.Fatalf("capabilities after scrub: %q", res.Capabilities)
		}
	}
}

// secretForms is remembered per set of secrets: the same set gives the same
// forms (one slice for a fleet sharing a token), another set its own, and
// rotated-away sets are not kept past maxFormsMemo.
func TestSecretFormsMemo(t *testing.T) {
	a := secretForms([]string{"client-secret-1", "token-aaaa"})
	b := secretForms([]string{"client-secret-1", "token-aaaa"})
	if len(a) == 0 || &a[0] != &b[0] {
		t.Fatalf("the same secrets made forms twice: %v", a)
	}
	c := secretForms([]string{"client-secret-1", "token-bbbb"})
	if slices.Equal(a, c) || !slices.Contains(c, "token-bbbb") || slices.Contains(c, "token-aaaa") {
		t.Fatalf("another token's forms %v", c)
	}
	for i := range maxFormsMemo + 1 {
		secretForms([]string{fmt.Sprintf("rotated-%d", i)})
	}
	formsMemo.Lock()
	n := len(formsMemo.m)
	formsMemo.Unlock()
	if n > maxFormsMemo {
		t.Fatalf("%d secret sets remembered, want at most %d", n, maxFormsMemo)
	}
}

// The kept Basic forms are the pair's own: another pair gets its own.
func TestClientBasicFormsArePairs(t *testing.T) {
	for _, p := range [][2]string{{"id", "s3cret&x"}, {"id", "s3cret&x"}, {"id", "other"}, {"id2", "other"}, {"id", "s3cret&x"}} {
		got := clientBasicForms(p[0], p[1])
		want := []string{basicCredential(p[0], p[1], true), basicCredential(p[0], p[1], false)}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", p, got, want)
		}
	}
}
