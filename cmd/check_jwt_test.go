package cmd

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
)

// jwtWorld is an MCP server behind a token endpoint that knows clientID by the public half of
// key, with spies on every client assertion and access token that pass.
type jwtWorld struct {
	as         *authserver.Server
	tokens     *tokenSpy
	mu         sync.Mutex
	assertions []string
	issuer     string
	mcpURL     string
}

func newJWTWorld(t *testing.T, pub crypto.PublicKey) *jwtWorld {
	w := &jwtWorld{as: authserver.New(authserver.Options{Lifetime: time.Hour,
		ClientKeys: map[string]crypto.PublicKey{clientID: pub}})}
	w.tokens = &tokenSpy{next: w.as}
	asTS := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.mu.Lock()
		w.assertions = append(w.assertions, r.PostForm.Get("client_assertion"))
		w.mu.Unlock()
		w.tokens.ServeHTTP(rw, r)
	}))
	t.Cleanup(asTS.Close)
	w.as.SetIssuer(asTS.URL)
	w.issuer = asTS.URL
	mcpTS := httptest.NewServer(w.as.Protect(mcpHandler(), authserver.Protection{}))
	t.Cleanup(mcpTS.Close)
	w.mcpURL = mcpTS.URL
	return w
}

func ecPEM(t *testing.T) ([]byte, crypto.PublicKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), k.Public()
}

func TestCheckAdhocPrivateKeyJWT(t *testing.T) {
	keyPEM, pub := ecPEM(t)
	w := newJWTWorld(t, pub)
	key := filepath.Join(t.TempDir(), "client.pem")
	writeFile(t, key, string(keyPEM))
	code, out, errOut := runCLI(t, "check", w.mcpURL, "--client-id", clientID, "--auth-method", "private_key_jwt",
		"--private-key", key, "--token-url", w.issuer+"/token", "--assertion-audience", w.issuer, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Servers) != 1 || rep.Servers[0].Token == nil {
		t.Fatalf("report %v: %s", err, out)
	}
	got := w.as.Received()
	if len(got) != 1 || got[0].AuthMethod != authserver.MethodPrivateKeyJWT || got[0].Assertion.Audience[0] != w.issuer {
		t.Fatalf("token endpoint received %+v", got)
	}
}

func TestCheckPrivateKeyUsageErrors(t *testing.T) {
	keyPEM, _ := ecPEM(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "client.pem")
	writeFile(t, key, string(keyPEM))
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(x)
	x25519 := filepath.Join(dir, "x25519.pem")
	writeFile(t, x25519, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	encrypted := filepath.Join(dir, "enc.pem")
	writeFile(t, encrypted, string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("opaque")})))
	t.Setenv("CLI_SECRET", clientSecret)
	url := "http://127.0.0.1:1/mcp"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--private-key", key}, "OAuth2 flags need --client-id"},
		{[]string{"--client-id", "c", "--private-key", key}, "--private-key needs --auth-method private_key_jwt"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt"}, "--client-id needs exactly one of --client-secret-env VAR, --client-secret-file FILE or --private-key FILE"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt", "--client-secret-env", "CLI_SECRET"}, "--auth-method private_key_jwt needs --private-key FILE"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt", "--private-key", key, "--client-secret-env", "CLI_SECRET"}, "exactly one of"},
		{[]string{"--client-id", "c", "--client-secret-env", "CLI_SECRET", "--assertion-audience", "https://as.example"}, "--assertion-audience needs --auth-method private_key_jwt"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt", "--private-key", filepath.Join(dir, "nope.pem")},
			"--private-key: private key file " + filepath.Join(dir, "nope.pem") + ": cannot be read: no such file or directory"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt", "--private-key", encrypted}, "is encrypted, which is not supported"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt", "--private-key", x25519}, "X25519 keys agree on secrets but cannot sign"},
		{[]string{"--client-id", "c", "--auth-method", "private_key_jwt", "--private-key", key, "--assertion-audience", "as.example"},
			"auth.assertion_audience: must be an absolute URI without a fragment"},
		{[]string{"--client-id", "c", "--auth-method", "client_secret_jwt", "--client-secret-env", "CLI_SECRET"}, "--auth-method"},
	} {
		code, out, errOut := runCLI(t, append([]string{"check", url}, tt.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 with %q", tt.args, code, errOut, tt.want)
		}
		assertNoPEM(t, keyPEM, out+errOut)
	}
}

// TestPrivateKeyNeverAppears runs checks that succeed, that the endpoint refuses, and whose
// endpoint echoes the client assertion back, through every output path, and looks for the
// private key, the assertions and the tokens.
func TestPrivateKeyNeverAppears(t *testing.T) {
	keyPEM, pub := ecPEM(t)
	otherPEM, _ := ecPEM(t)
	w := newJWTWorld(t, pub)
	dir := t.TempDir()
	key, other := filepath.Join(dir, "client.pem"), filepath.Join(dir, "other.pem")
	writeFile(t, key, string(keyPEM))
	writeFile(t, other, string(otherPEM))
	echoToken := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		a := r.PostForm.Get("client_assertion")
		w.mu.Lock()
		w.assertions = append(w.assertions, a)
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(rw).Encode(map[string]string{"error": "invalid_client",
			"error_description": "signature " + a[strings.LastIndex(a, ".")+1:] + " unknown"})
	}))
	t.Cleanup(echoToken.Close)

	var outputs []string
	for _, c := range []struct {
		keyFile, tokenURL string
		wantCode          int
	}{
		{key, w.issuer + "/token", ExitOK},
		{other, w.issuer + "/token", ExitFailing}, // signature does not verify
		{key, echoToken.URL, ExitFailing},
	} {
		for _, format := range []string{"table", "json"} {
			code, out, errOut := runCLI(t, "check", w.mcpURL, "--client-id", clientID, "--auth-method", "private_key_jwt",
				"--private-key", c.keyFile, "--token-url", c.tokenURL, "--assertion-audience", w.issuer, "--output", format, "--verbose")
			if code != c.wantCode {
				t.Fatalf("%s via %s: exit %d, want %d\n%s\n%s", c.keyFile, format, code, c.wantCode, out, errOut)
			}
			outputs = append(outputs, out, errOut)
		}
	}
	all := strings.Join(outputs, "\n")
	if !strings.Contains(all, "signature does not verify") || !strings.Contains(all, "[REDACTED]") {
		t.Fatalf("the refusals are not shown; the test proves nothing:\n%s", all)
	}
	assertNoPEM(t, keyPEM, all)
	assertNoPEM(t, otherPEM, all)
	w.mu.Lock()
	defer w.mu.Unlock()
	tokens := w.tokens.issued()
	if len(tokens) == 0 || len(w.assertions) < 6 {
		t.Fatalf("%d tokens, %d assertions: the test proves nothing", len(tokens), len(w.assertions))
	}
	for _, a := range w.assertions {
		if sig := a[strings.LastIndex(a, ".")+1:]; len(sig) < 40 || strings.Contains(all, sig) {
			t.Fatalf("output contains a client assertion's signature %q", sig)
		}
	}
	for _, tok := range tokens {
		if strings.Contains(all, tok) {
			t.Fatalf("output contains a token %q", tok)
		}
	}
}

// assertNoPEM fails if out holds any line of the key's PEM body.
func assertNoPEM(t *testing.T, keyPEM []byte, out string) {
	t.Helper()
	for l := range strings.Lines(string(keyPEM)) {
		if l = strings.TrimSpace(l); !strings.HasPrefix(l, "-----") && strings.Contains(out, l) {
			t.Fatalf("output contains the private key's PEM line %q", l)
		}
	}
}
