package oauth_test

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// Keys are generated once per test binary: RSA generation is slow under -race.
var (
	ecKey  = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	ec384  = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)) })
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	edKey  = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return must(k, err)
	})
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(k any) []byte { return pemOf("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(k))) }

// writeKey writes a key file into the test's directory and returns its path.
func writeKey(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertionSpy keeps the raw client_assertion of every request before the real endpoint sees
// it, so the test can verify it independently with the public key.
type assertionSpy struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (s *assertionSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		_ = r.ParseForm() // the form stays parsed for the endpoint
		s.mu.Lock()
		s.seen = append(s.seen, r.PostForm.Get("client_assertion"))
		s.mu.Unlock()
	}
	s.next.ServeHTTP(w, r)
}

func (s *assertionSpy) assertions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// keyWorld is a token endpoint that knows clientID by pub, on the test's clock.
type keyWorld struct {
	as    *authserver.Server
	spy   *assertionSpy
	url   string // issuer
	cache *oauth.TokenCache
	clock *fakeClock
}

func newKeyWorld(t *testing.T, pub crypto.PublicKey, opts authserver.Options) *keyWorld {
	t.Helper()
	clock := newFakeClock()
	opts.ClientKeys = map[string]crypto.PublicKey{clientID: pub}
	opts.Now = clock.Now
	as := authserver.New(opts)
	spy := &assertionSpy{next: as}
	ts := serve(t, spy)
	as.SetIssuer(ts.URL)
	return &keyWorld{as: as, spy: spy, url: ts.URL, cache: newCache(t, clock, oauth.Options{}), clock: clock}
}

// jwtCreds are private_key_jwt credentials for w with the issuer known (as after discovery).
func (w *keyWorld) creds(keyFile string) oauth.Credentials {
	return oauth.Credentials{TokenURL: w.url + "/token", Issuer: w.url, ClientID: clientID,
		Method: oauth.PrivateKeyJWT, PrivateKeyFile: keyFile}
}

// verifyAssertion checks raw with pub the way a relying party would, and every claim.
func verifyAssertion(t *testing.T, raw string, pub crypto.PublicKey, alg, aud string, now time.Time) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithAudience(aud), jwt.WithIssuer(clientID), jwt.WithSubject(clientID)).
		ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return pub, nil })
	if err != nil {
		t.Fatalf("assertion does not verify with the public key: %v", err)
	}
	if claims["aud"] != aud { // a JSON string, not a one-element array (draft-ietf-oauth-rfc7523bis)
		t.Errorf("aud = %#v, want the string %q", claims["aud"], aud)
	}
	iat, _ := claims.GetIssuedAt()
	exp, _ := claims.GetExpirationTime()
	if !iat.Equal(now.Truncate(time.Second)) || exp.Sub(iat.Time) != oauth.AssertionLifetime {
		t.Errorf("iat %v exp %v, want iat now and a %v life", iat, exp, oauth.AssertionLifetime)
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti %q is not a long random value", jti)
	}
	if len(claims) != 6 {
		t.Errorf("claims %v, want exactly iss sub aud jti iat exp", claims)
	}
	return claims
}

func TestPrivateKeyJWTForEachKeyFormatAndAlgorithm(t *testing.T) {
	tests := []struct {
		name string
		pem  []byte
		pub  crypto.PublicKey
		alg  string
	}{
		{"EC P-256 SEC1", pemOf("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(ecKey()))), ecKey().Public(), "ES256"},
		{"EC P-256 PKCS#8", pkcs8(ecKey()), ecKey().Public(), "ES256"},
		{"EC P-384 PKCS#8", pkcs8(ec384()), ec384().Public(), "ES384"},
		{"RSA PKCS#1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey())), rsaKey().Public(), "RS256"},
		{"RSA PKCS#8", pkcs8(rsaKey()), rsaKey().Public(), "RS256"},
		{"Ed25519 PKCS#8", pkcs8(edKey()), edKey().Public(), "EdDSA"},
		// openssl ecparam -genkey writes EC PARAMETERS before the key.
		{"EC with parameters block", append(pemOf("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}),
			pemOf("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(ecKey())))...), ecKey().Public(), "ES256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newKeyWorld(t, tt.pub, authserver.Options{})
			cr := w.creds(writeKey(t, "key.pem", tt.pem))
			tok, err := w.cache.Token(context.Background(), cr)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := w.as.Introspect(tok.AccessToken); !ok {
				t.Fatal("token unknown to the server")
			}
			got := w.as.Received()
			if len(got) != 1 || got[0].AuthMethod != authserver.MethodPrivateKeyJWT || got[0].SecretInBody || got[0].BasicHeader ||
				got[0].AssertionType != oauth.ClientAssertionType || got[0].Result != "ok" {
				t.Fatalf("server received %+v", got)
			}
			verifyAssertion(t, w.spy.assertions()[0], tt.pub, tt.alg, w.url, w.clock.Now())
			if err := oauth.CheckPrivateKeyFile(cr.PrivateKeyFile); err != nil {
				t.Errorf("CheckPrivateKeyFile: %v", err)
			}
		})
	}
}

func TestPrivateKeyJWTFreshAssertionForEveryRequest(t *testing.T) {
	w := newKeyWorld(t, edKey().Public(), authserver.Options{Lifetime: time.Hour})
	cr := w.creds(writeKey(t, "key.pem", pkcs8(edKey())))
	ctx := context.Background()
	first, err := w.cache.Token(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	w.cache.Invalidate(cr, first) // as after a 401
	w.clock.Advance(time.Second)
	if _, err := w.cache.Token(ctx, cr); err != nil {
		t.Fatalf("second request (the server refuses a replayed jti): %v", err)
	}
	seen := w.spy.assertions()
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Fatalf("assertions %d, equal: %v", len(seen), len(seen) == 2 && seen[0] == seen[1])
	}
	a := verifyAssertion(t, seen[0], edKey().Public(), "EdDSA", w.url, w.clock.Now().Add(-time.Second))
	b := verifyAssertion(t, seen[1], edKey().Public(), "EdDSA", w.url, w.clock.Now())
	if a["jti"] == b["jti"] {
		t.Error("jti reused")
	}
}

func TestPrivateKeyJWTAudience(t *testing.T) {
	key := writeKey(t, "key.pem", pkcs8(ecKey()))
	tests := []struct {
		name    string
		edit    func(w *keyWorld, cr *oauth.Credentials)
		wantAud func(w *keyWorld) string
		wantErr string // the endpoint's refusal, "" when it accepts
	}{
		{"issuer when known", func(w *keyWorld, cr *oauth.Credentials) {},
			func(w *keyWorld) string { return w.url }, ""},
		{"issuer from discovered metadata", func(w *keyWorld, cr *oauth.Credentials) {
			*cr = oauth.Credentials{ClientID: clientID, Method: oauth.PrivateKeyJWT, PrivateKeyFile: key}.
				WithMetadata(&oauth.Metadata{Issuer: w.url, TokenEndpoint: w.url + "/token", SigningAlgs: []string{"ES256"}})
		}, func(w *keyWorld) string { return w.url }, ""},
		{"token URL when no issuer is known", func(w *keyWorld, cr *oauth.Credentials) { cr.Issuer = "" },
			func(w *keyWorld) string { return w.url + "/token" }, "/token\" is not this server's issuer"},
		{"override wins over the issuer", func(w *keyWorld, cr *oauth.Credentials) { cr.AssertionAudience = "https://as.example/override" },
			func(w *keyWorld) string { return "https://as.example/override" }, "is not this server's issuer"},
		{"override fixes a configured token URL", func(w *keyWorld, cr *oauth.Credentials) { cr.Issuer, cr.AssertionAudience = "", w.url },
			func(w *keyWorld) string { return w.url }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newKeyWorld(t, ecKey().Public(), authserver.Options{})
			cr := w.creds(key)
			tt.edit(w, &cr)
			_, err := w.cache.Token(context.Background(), cr)
			got := w.as.Received()
			if len(got) != 1 || got[0].Assertion == nil {
				t.Fatalf("received %+v", got)
			}
			if a := got[0].Assertion; len(a.Audience) != 1 || a.Audience[0] != tt.wantAud(w) || !a.AudienceIsString {
				t.Errorf("aud %q (string: %v), want %q", a.Audience, a.AudienceIsString, tt.wantAud(w))
			}
			var oerr *oauth.Error
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr != "" && (!errors.As(err, &oerr) || oerr.Class != "token.invalid_client" || !strings.Contains(oerr.Description, tt.wantErr)):
				t.Fatalf("got %#v, want invalid_client naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestPrivateKeyJWTAlgorithmNegotiation(t *testing.T) {
	ecFile := writeKey(t, "ec.pem", pkcs8(ecKey()))
	rsaFile := writeKey(t, "rsa.pem", pkcs8(rsaKey()))
	edFile := writeKey(t, "ed.pem", pkcs8(edKey()))
	tests := []struct {
		name      string
		file      string
		pub       crypto.PublicKey
		server    []string // the server's token_endpoint_auth_signing_alg_values_supported
		wantAlg   string
		wantClass string
		wantMsg   string
	}{
		{"no metadata: the key's natural alg", rsaFile, rsaKey().Public(), nil, "RS256", "", ""},
		{"RSA key, server prefers PS256 only", rsaFile, rsaKey().Public(), []string{"PS256"}, "PS256", "", ""},
		{"RSA key, first the key can do", rsaFile, rsaKey().Public(), []string{"ES256", "RS256"}, "RS256", "", ""},
		{"EC key listed", ecFile, ecKey().Public(), []string{"RS256", "ES256"}, "ES256", "", ""},
		{"Ed25519 listed", edFile, edKey().Public(), []string{"ES256", "EdDSA"}, "EdDSA", "", ""},
		{"EC key, server takes RSA only", ecFile, ecKey().Public(), []string{"RS256", "PS256"}, "", "token.unsupported_alg",
			"the private key is EC P-256 (signs ES256) but the authorization server accepts only RS256, PS256"},
		{"Ed25519 key, server without EdDSA", edFile, edKey().Public(), []string{"ES256"}, "", "token.unsupported_alg",
			"the private key is Ed25519 (signs EdDSA) but the authorization server accepts only ES256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newKeyWorld(t, tt.pub, authserver.Options{})
			cr := w.creds(tt.file)
			cr.SigningAlgs = tt.server
			_, err := w.cache.Token(context.Background(), cr)
			if tt.wantClass != "" {
				var oerr *oauth.Error
				if !errors.As(err, &oerr) || oerr.Class != tt.wantClass || !strings.Contains(oerr.Msg, tt.wantMsg) {
					t.Fatalf("got %#v, want %s %q", err, tt.wantClass, tt.wantMsg)
				}
				if w.as.Requests() != 0 || w.cache.Requests().Total() != 0 {
					t.Errorf("a request was sent (%d at the server)", w.as.Requests())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := w.as.Received()[0].Assertion.Alg; got != tt.wantAlg {
				t.Errorf("alg %s, want %s", got, tt.wantAlg)
			}
		})
	}
}

func TestPrivateKeyJWTBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x25519 := must(ecdh.X25519().GenerateKey(rand.Reader))
	p224 := must(ecdsa.GenerateKey(elliptic.P224(), rand.Reader))
	small := must(rsa.GenerateKey(rand.Reader, 1024))
	good := pkcs8(ecKey())
	unreadable := write("unreadable.pem", good)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "missing.pem"), "cannot be read: no such file or directory"},
		{"a directory", dir, "cannot be read: is a directory"},
		{"not PEM", write("plain.txt", []byte("client secret, not a key\n")), "is not PEM"},
		{"too large", write("huge.pem", make([]byte, 100<<10)), "larger than 64 KiB"},
		{"encrypted PKCS#8", write("enc8.pem", pemOf("ENCRYPTED PRIVATE KEY", []byte("opaque"))), "is encrypted, which is not supported"},
		{"encrypted legacy PEM", write("enc1.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
			Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte("opaque")})), "is encrypted"},
		{"public key only", write("pub.pem", pemOf("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(ecKey().Public())))), "holds no private key (found PUBLIC KEY)"},
		{"two keys", write("two.pem", append(pkcs8(ecKey()), pkcs8(edKey())...)), "holds more than one private key"},
		{"damaged", write("damaged.pem", pemOf("PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00})), "the PRIVATE KEY block does not parse"},
		{"RSA too small", write("small.pem", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small))), "RSA key of 1024 bits is too small"},
		{"P-224", write("p224.pem", pemOf("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(p224)))), "curve P-224 is not supported"},
		{"X25519", write("x25519.pem", pkcs8(x25519)), "X25519 keys agree on secrets but cannot sign"},
	}
	if os.Geteuid() != 0 { // root reads anything
		tests = append(tests, struct{ name, path, want string }{"unreadable", unreadable, "cannot be read: permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newKeyWorld(t, ecKey().Public(), authserver.Options{})
			_, err := w.cache.Token(context.Background(), w.creds(tt.path))
			var oerr *oauth.Error
			if !errors.As(err, &oerr) || oerr.Class != "token.bad_key" || !strings.Contains(oerr.Msg, tt.want) ||
				!strings.Contains(oerr.Msg, "private key file "+tt.path+": ") {
				t.Fatalf("got %#v, want token.bad_key naming the file and %q", err, tt.want)
			}
			if w.as.Requests() != 0 || w.cache.Requests().Total() != 0 {
				t.Error("a token request was sent with a bad key")
			}
			if info, _ := w.cache.Info(w.creds(tt.path)); info.LastErrorClass != "token.bad_key" {
				t.Errorf("info %+v", info)
			}
			cerr := oauth.CheckPrivateKeyFile(tt.path)
			if cerr == nil || cerr.Error() != oerr.Msg {
				t.Errorf("CheckPrivateKeyFile = %v, want the same error", cerr)
			}
			data, _ := os.ReadFile(tt.path)
			assertNoKeyMaterial(t, data, err, cerr)
		})
	}
}

// assertNoKeyMaterial fails if any rendering of vs holds a line of a PEM file's body.
func assertNoKeyMaterial(t *testing.T, pemData []byte, vs ...any) {
	t.Helper()
	var bodyLines []string
	for rest := pemData; ; {
		b, r := pem.Decode(rest)
		if b == nil {
			break
		}
		rest = r
		for l := range strings.Lines(string(pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes}))) {
			if l = strings.TrimSpace(l); !strings.HasPrefix(l, "-----") && len(l) >= 8 {
				bodyLines = append(bodyLines, l)
			}
		}
	}
	for _, v := range vs {
		var out []string
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			out = append(out, fmt.Sprintf(f, v))
		}
		if b, err := json.Marshal(v); err == nil {
			out = append(out, string(b))
		}
		for _, o := range out {
			for _, l := range bodyLines {
				if strings.Contains(o, l) {
					t.Fatalf("output holds key material %q: %s", l, o)
				}
			}
		}
	}
}

func TestPrivateKeyFileIsReadForEveryRequest(t *testing.T) {
	// The server knows the new key; the file first holds an old one. Replacing the file fixes
	// the next request without a restart.
	w := newKeyWorld(t, edKey().Public(), authserver.Options{})
	path := writeKey(t, "key.pem", pkcs8(ecKey()))
	cr := w.creds(path)
	_, err := w.cache.Token(context.Background(), cr)
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "token.invalid_client" || !strings.Contains(oerr.Description, "alg ES256 does not fit") {
		t.Fatalf("old key: %#v", err)
	}
	if err := os.WriteFile(path, pkcs8(edKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cache.Token(context.Background(), cr); err != nil {
		t.Fatalf("after replacing the key file: %v", err)
	}
}

func TestPrivateKeyJWTCacheKey(t *testing.T) {
	base := oauth.Credentials{TokenURL: "https://as.example/token", ClientID: clientID, Method: oauth.PrivateKeyJWT,
		PrivateKeyFile: "/keys/a.pem"}
	for name, edit := range map[string]func(*oauth.Credentials){
		"key file":          func(c *oauth.Credentials) { c.PrivateKeyFile = "/keys/b.pem" },
		"issuer (the aud)":  func(c *oauth.Credentials) { c.Issuer = "https://as.example" },
		"audience override": func(c *oauth.Credentials) { c.AssertionAudience = "https://as.example" },
	} {
		other := base
		edit(&other)
		if other.Key() == base.Key() {
			t.Errorf("%s: same cache key", name)
		}
	}
	// The override and a discovered issuer naming the same audience are the same credential.
	a, b := base, base
	a.Issuer = "https://as.example"
	b.AssertionAudience = "https://as.example"
	if a.Key() != b.Key() {
		t.Error("same audience, different keys")
	}
	if !strings.Contains(base.String(), "/keys/a.pem") {
		t.Errorf("String() should show the key file path: %s", base)
	}
}

func TestClientAssertionEchoedByTheEndpointIsScrubbed(t *testing.T) {
	// A token endpoint that echoes the assertion's signature — the part that makes it a
	// credential — in its error. The whole assertion is longer than a description may be.
	var mu sync.Mutex
	var sig string
	echo := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		a := r.PostForm.Get("client_assertion")
		mu.Lock()
		sig = a[strings.LastIndex(a, ".")+1:]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client",
			"error_description": "bad signature " + a[strings.LastIndex(a, ".")+1:] + " in " + a})
	}))
	cr := oauth.Credentials{TokenURL: echo.URL, ClientID: clientID, Method: oauth.PrivateKeyJWT,
		PrivateKeyFile: writeKey(t, "key.pem", pkcs8(ecKey()))}
	_, err := newCache(t, nil, oauth.Options{}).Token(context.Background(), cr)
	var oerr *oauth.Error
	if !errors.As(err, &oerr) || oerr.Class != "token.invalid_client" {
		t.Fatalf("got %#v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sig) < 40 || !strings.HasPrefix(oerr.Description, "bad signature [REDACTED] in ") {
		t.Errorf("description not scrubbed: %q", oerr.Description)
	}
	assertNoSecrets(t, err, sig)
}
