package oauth_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
	"github.com/mcpwatch/mcpwatch/tlsverify"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// tlsAuthServer is a real token endpoint over TLS with a certificate of a
// private CA, valid until notAfter; it returns the token URL and the CA file.
func tlsAuthServer(t *testing.T, notAfter time.Time) (tokenURL, caFile string) {
	t.Helper()
	now := time.Now()
	root, err := pki.NewCA("IdP Root", now.Add(-time.Hour), now.Add(400*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := root.Server([]string{"127.0.0.1"}, now.Add(-time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	as := authserver.New(authserver.Options{Clients: map[string]string{clientID: secret}})
	ts := httptest.NewUnstartedServer(as)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = cert.ServerConfig(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	as.SetIssuer(ts.URL)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, root.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return ts.URL + "/token", caFile
}

func TestTokenEndpointTLSSettingsAndFacts(t *testing.T) {
	notAfter := time.Now().Add(20 * 24 * time.Hour).Truncate(time.Second)
	tokenURL, caFile := tlsAuthServer(t, notAfter)
	cache := newCache(t, nil, oauth.Options{})

	// Without the CA: refused, said with what to do, and the facts recorded.
	plain := creds(tokenURL)
	_, err := cache.Token(context.Background(), plain)
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Class != "token.tls" || !strings.Contains(oe.Msg, "signed by an unknown authority (issuer CN=IdP Root)") {
		t.Fatalf("without ca_file: %v", err)
	}
	if info, _ := cache.Info(plain); info.TLS == nil || info.TLS.Verified || !info.TLS.NotAfter.Equal(notAfter) {
		t.Fatalf("refused chain facts: %+v", info.TLS)
	}

	withCA := creds(tokenURL)
	withCA.TLS = tlsverify.Settings{CAFile: caFile}
	if withCA.Key() == plain.Key() {
		t.Fatal("other TLS settings share the credential key (and so a token)")
	}
	if _, err := cache.Token(context.Background(), withCA); err != nil {
		t.Fatalf("with ca_file: %v", err)
	}
	info, _ := cache.Info(withCA)
	if c := info.TLS; c == nil || !c.Verified || !c.NameMatched || c.Issuer != "CN=IdP Root" || !c.NotAfter.Equal(notAfter) {
		t.Fatalf("facts: %+v", info.TLS)
	}

	// An unreadable CA: a config problem found before sending, not a request.
	before := cache.Requests().Total()
	broken := creds(tokenURL)
	broken.TLS = tlsverify.Settings{CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	_, err = cache.Token(context.Background(), broken)
	if !errors.As(err, &oe) || oe.Class != "token.tls_config" || !strings.Contains(oe.Msg, "token endpoint tls ca_file") {
		t.Fatalf("missing ca_file: %v", err)
	}
	if cache.Requests().Total() != before {
		t.Error("a TLS config failure counted as a token request")
	}
}
