package probe

import (
	"context"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

const day = 24 * time.Hour

func mustPKI[T any](v T, err error) T {
	if err != nil {
		panic(err) // pki fails only if crypto/rand does
	}
	return v
}

// tlsServe runs h behind real TLS with cert; clientCAs, when set, makes
// the server demand a client certificate signed by one of them.
func tlsServe(t *testing.T, h http.Handler, cert *pki.Cert, clientCAs *x509.CertPool) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = cert.ServerConfig(clientCAs)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsFixture is a private CA, given to servers by ca_file.
type tlsFixture struct {
	*fixture
	root   *pki.CA
	caFile string
	now    time.Time
}

func newTLSFixture(t *testing.T) *tlsFixture {
	now := time.Now()
	root := mustPKI(pki.NewCA("Private Root", now.Add(-day), now.Add(400*day)))
	return &tlsFixture{fixture: newFixture(t), root: root, caFile: writeFile(t, "ca.pem", root.PEM()), now: now}
}

func (f *tlsFixture) cert(names []string, notAfter time.Time) *pki.Cert {
	return mustPKI(f.root.Server(names, f.now.Add(-day), notAfter))
}

// sweep checks srv through a pool and returns its state: warnings are the pool's.
func (f *tlsFixture) sweep(srv config.Server) ServerState {
	f.t.Helper()
	pool := NewPool(&config.File{Path: "test", Concurrency: 1, PerHost: 1, Servers: []config.Server{srv}}, f.checker)
	pool.Sweep(context.Background())
	return *pool.Snapshot().Servers[0]
}

func warningClass(st ServerState, class string) (Warning, bool) {
	i := slices.IndexFunc(st.Warnings, func(w Warning) bool { return w.Class == class })
	if i < 0 {
		return Warning{}, false
	}
	return st.Warnings[i], true
}

func TestTLSPrivateCAAndCertificateFacts(t *testing.T) {
	f := newTLSFixture(t)
	notAfter := f.now.Add(90 * day).Truncate(time.Second)
	srv := f.server(tlsServe(t, streamableHandler("tls"), f.cert([]string{"127.0.0.1"}, notAfter), nil).URL)

	// Without the CA the certificate is not trusted, and the message says what to do.
	st := f.sweep(srv)
	if st.Last.Status != StatusUnhealthy || st.Last.Class != "connect.tls" || !strings.Contains(st.Last.Message, "set tls.ca_file") {
		t.Fatalf("without ca_file: %s %s %q", st.Last.Status, st.Last.Class, st.Last.Message)
	}
	srv.TLS.CAFile = f.caFile
	st = f.sweep(srv)
	if st.Last.Status != StatusHealthy {
		t.Fatalf("with ca_file: %s %s %s", st.Last.Status, st.Last.Class, st.Last.Message)
	}
	c := st.Last.TLS
	if c == nil || !c.Verified || !c.NameMatched || c.Name != "127.0.0.1" || !c.NotAfter.Equal(notAfter) ||
		c.Subject != "CN=127.0.0.1" || c.Issuer != "CN=Private Root" {
		t.Fatalf("TLS facts = %+v", c)
	}
	if len(st.Warnings) != 0 {
		t.Errorf("a certificate valid 90 days warns: %v", st.Warnings)
	}
}

func TestTLSExpiringWarns(t *testing.T) {
	f := newTLSFixture(t)
	inter := mustPKI(f.root.Intermediate("Short Intermediate", f.now.Add(-day), f.now.Add(5*day+time.Hour)))
	cases := []struct {
		name string
		cert *pki.Cert
		want string
	}{
		{"leaf in 3 days", f.cert([]string{"127.0.0.1"}, f.now.Add(3*day+time.Hour)),
			"server certificate expires in 3d, " + f.now.Add(3*day+time.Hour).UTC().Format(time.DateOnly) + " (CN=127.0.0.1)"},
		{"intermediate before the leaf", mustPKI(inter.Server([]string{"127.0.0.1"}, f.now.Add(-day), f.now.Add(300*day))),
			"server certificate expires in 5d, " + f.now.Add(5*day+time.Hour).UTC().Format(time.DateOnly) + " (CN=Short Intermediate)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := f.server(tlsServe(t, streamableHandler("tls"), c.cert, nil).URL)
			srv.TLS.CAFile = f.caFile
			st := f.sweep(srv)
			w, ok := warningClass(st, WarnTLSExpiring)
			if st.Last.Status != StatusHealthy || !ok || w.Message != c.want {
				t.Fatalf("%s, warnings %v; want healthy with %q", st.Last.Status, st.Warnings, c.want)
			}
			srv.CertWarning = 2 * day // below the threshold: no warning
			if _, ok := warningClass(f.sweep(srv), WarnTLSExpiring); ok {
				t.Error("cert_warning 2d still warns")
			}
		})
	}
}

func TestTLSRefusedCertificates(t *testing.T) {
	f := newTLSFixture(t)
	expired := f.now.Add(-3 * day)
	clientCA := mustPKI(pki.NewCA("Client CA", f.now.Add(-day), f.now.Add(day)))
	cases := []struct {
		name      string
		cert      *pki.Cert
		clientCAs *x509.CertPool
		want      []string
	}{
		{"expired", mustPKI(f.root.Server([]string{"127.0.0.1"}, f.now.Add(-30*day), expired)), nil,
			[]string{"TLS certificate CN=127.0.0.1 expired on " + expired.UTC().Format(time.DateOnly) + " (3d ago)"}},
		{"wrong name", f.cert([]string{"mcp.other.example"}, f.now.Add(60*day)), nil,
			[]string{"TLS certificate is for mcp.other.example, not 127.0.0.1", "valid until " + f.now.Add(60*day).UTC().Format(time.DateOnly)}},
		{"client certificate required, none given", f.cert([]string{"127.0.0.1"}, f.now.Add(60*day)), clientCA.Pool(),
			[]string{"TLS handshake failed", "certificate required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := f.server(tlsServe(t, streamableHandler("tls"), c.cert, c.clientCAs).URL)
			srv.TLS.CAFile = f.caFile
			st := f.sweep(srv)
			if st.Last.Status != StatusUnhealthy || st.Last.Stage != StageConnect || st.Last.Class != "connect.tls" {
				t.Fatalf("%s %s %s: %s", st.Last.Status, st.Last.Stage, st.Last.Class, st.Last.Message)
			}
			for _, w := range c.want {
				contains(t, st.Last.Message, w)
			}
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	f := newTLSFixture(t)
	clientCA := mustPKI(pki.NewCA("Client CA", f.now.Add(-day), f.now.Add(day)))
	client := mustPKI(clientCA.Client("mcpwatch", f.now.Add(-day), f.now.Add(day)))
	keyPEM := mustPKI(client.KeyPEM())
	srv := f.server(tlsServe(t, streamableHandler("mtls"), f.cert([]string{"127.0.0.1"}, f.now.Add(60*day)), clientCA.Pool()).URL)
	srv.TLS = config.TLS{CAFile: f.caFile, CertFile: writeFile(t, "client.pem", client.CertPEM()), KeyFile: writeFile(t, "client.key", keyPEM)}
	st := f.sweep(srv)
	if st.Last.Status != StatusHealthy {
		t.Fatalf("with a client certificate: %s %s %s", st.Last.Status, st.Last.Class, st.Last.Message)
	}

	// A key that is not the certificate's: config, before anything is sent; the key never shows.
	other := mustPKI(clientCA.Client("other", f.now.Add(-day), f.now.Add(day)))
	srv.TLS.CertFile = writeFile(t, "other.pem", other.CertPEM())
	st = f.sweep(srv)
	if st.Last.Status != StatusUnhealthy || st.Last.Stage != StageConfig || st.Last.Class != "config.tls" {
		t.Fatalf("mismatched key: %s %s %s: %s", st.Last.Status, st.Last.Stage, st.Last.Class, st.Last.Message)
	}
	contains(t, st.Last.Message, "private key does not match public key")
	body := strings.Split(string(keyPEM), "\n")[1]
	if strings.Contains(st.Last.Message+st.Last.Detail, body[:16]) {
		t.Fatal("key material in the result")
	}
	srv.TLS.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if st = f.sweep(srv); st.Last.Class != "config.tls" || !strings.Contains(st.Last.Message, "tls ca_file "+srv.TLS.CAFile+": cannot be read") {
		t.Fatalf("missing ca_file: %s %q", st.Last.Class, st.Last.Message)
	}
}

// TLS settings inherited by a plain http server are not read: a broken
// defaults.tls must not fail the servers that do not use it.
func TestTLSSettingsUnusedOverPlainHTTP(t *testing.T) {
	f := newTLSFixture(t)
	srv := f.server(serve(t, streamableHandler("plain")).URL)
	srv.TLS.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if st := f.sweep(srv); st.Last.Status != StatusHealthy || st.Last.TLS != nil {
		t.Fatalf("%s %s %s, tls %+v", st.Last.Status, st.Last.Class, st.Last.Message, st.Last.TLS)
	}
}

func TestTLSInsecureSkipVerifyWarns(t *testing.T) {
	f := newTLSFixture(t)
	srv := f.server(tlsServe(t, streamableHandler("tls"), f.cert([]string{"wrong.example"}, f.now.Add(60*day)), nil).URL)
	srv.TLS.InsecureSkipVerify = true
	st := f.sweep(srv)
	w, ok := warningClass(st, WarnTLSInsecure)
	if st.Last.Status != StatusHealthy || !ok || !strings.Contains(w.Message, "the server's certificate is not verified") {
		t.Fatalf("%s %s, warnings %v", st.Last.Status, st.Last.Message, st.Warnings)
	}
	if c := st.Last.TLS; c == nil || c.Verified || c.NameMatched || !c.InsecureSkipVerify {
		t.Fatalf("facts = %+v; want recorded, unverified, name not matched", c)
	}
}

// The token endpoint has its own TLS settings (auth.tls), its certificate is
// recorded on the token, and its expiry warns like the server's.
func TestTLSTokenEndpoint(t *testing.T) {
	f := newTLSFixture(t)
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	asTS := tlsServe(t, as, f.cert([]string{"127.0.0.1"}, f.now.Add(4*day)), nil)
	as.SetIssuer(asTS.URL)
	srv := f.oauthServer(serve(t, as.Protect(streamableHandler("p"), authserver.Protection{})).URL, false)
	srv.Auth.TokenURL = asTS.URL + "/token"

	st := f.sweep(srv)
	if st.Last.Status != StatusAuthError || st.Last.Class != "token.tls" || !strings.Contains(st.Last.Message, "set auth.tls.ca_file") {
		t.Fatalf("token endpoint without auth.tls: %s %s %q", st.Last.Status, st.Last.Class, st.Last.Message)
	}
	srv.Auth.TLS.CAFile = f.caFile
	f.checker = NewChecker("test") // another credential set anyway; a fresh cache keeps the test plain
	st = f.sweep(srv)
	if st.Last.Status != StatusHealthy {
		t.Fatalf("with auth.tls.ca_file: %s %s %s", st.Last.Status, st.Last.Class, st.Last.Message)
	}
	if c := st.Token.TLS; c == nil || !c.Verified || c.Issuer != "CN=Private Root" {
		t.Fatalf("token TLS facts = %+v", c)
	}
	if st.Last.TLS != nil {
		t.Errorf("plain http server has TLS facts: %+v", st.Last.TLS)
	}
	w, ok := warningClass(st, WarnTLSExpiring)
	if !ok || !strings.HasPrefix(w.Message, "token endpoint certificate expires in 3d") && !strings.HasPrefix(w.Message, "token endpoint certificate expires in 4d") {
		t.Fatalf("warnings %v", st.Warnings)
	}
}

// Legacy HTTP+SSE over https: the event stream and the POSTs both connect
// with the server's TLS settings, and transport auto finds it.
func TestTLSLegacySSE(t *testing.T) {
	f := newTLSFixture(t)
	var sse *server.SSEServer
	ts := tlsServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sse.ServeHTTP(w, r) }),
		f.cert([]string{"127.0.0.1"}, f.now.Add(10*day)), nil)
	sse = server.NewSSEServer(newMCP("legacy-tls"), server.WithBaseURL(ts.URL))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sse.Shutdown(ctx)
	})
	srv := f.server(ts.URL + "/sse")
	srv.Transport = config.TransportAuto
	srv.TLS.CAFile = f.caFile
	st := f.sweep(srv)
	if st.Last.Status != StatusHealthy || st.Last.Transport != config.TransportSSE || st.Last.TLS == nil || !st.Last.TLS.Verified {
		t.Fatalf("%s %s %s over %s, tls %+v", st.Last.Status, st.Last.Class, st.Last.Message, st.Last.Transport, st.Last.TLS)
	}
	if _, ok := warningClass(st, WarnTLSExpiring); !ok {
		t.Errorf("warnings %v", st.Warnings)
	}
}

// With no token_url, discovery reads the authorization server's metadata
// with auth.tls (its own CA), and the server's with the server's settings.
func TestTLSDiscoveryUsesAuthTLS(t *testing.T) {
	f := newTLSFixture(t)
	idpRoot := mustPKI(pki.NewCA("IdP Root", f.now.Add(-day), f.now.Add(400*day)))
	idpCA := writeFile(t, "idp.pem", idpRoot.PEM())
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	asTS := tlsServe(t, as, mustPKI(idpRoot.Server([]string{"127.0.0.1"}, f.now.Add(-day), f.now.Add(90*day))), nil)
	as.SetIssuer(asTS.URL)

	mux := http.NewServeMux()
	mcpTS := tlsServe(t, mux, f.cert([]string{"127.0.0.1"}, f.now.Add(90*day)), nil)
	prm := mcpTS.URL + "/.well-known/oauth-protected-resource/mcp"
	mux.Handle("/mcp", as.Protect(streamableHandler("p"), authserver.Protection{ResourceURL: mcpTS.URL + "/mcp", MetadataURL: prm}))
	mux.Handle("/.well-known/oauth-protected-resource/mcp", authserver.ProtectedResourceMetadata(mcpTS.URL+"/mcp", asTS.URL))

	srv := f.oauthServer(mcpTS.URL+"/mcp", true)
	srv.Auth.Issuer = asTS.URL
	srv.TLS.CAFile = f.caFile
	st := f.sweep(srv)
	if st.Last.Status != StatusAuthError || !strings.HasPrefix(st.Last.Class, "discovery.") {
		t.Fatalf("without auth.tls: %s %s %s", st.Last.Status, st.Last.Class, st.Last.Message)
	}
	srv.Auth.TLS.CAFile = idpCA
	f.checker = NewChecker("test") // a fresh discovery cache
	st = f.sweep(srv)
	if st.Last.Status != StatusHealthy {
		t.Fatalf("with auth.tls: %s %s %s", st.Last.Status, st.Last.Class, st.Last.Message)
	}
	if st.Last.TLS == nil || st.Last.TLS.Issuer != "CN=Private Root" || st.Token.TLS == nil || st.Token.TLS.Issuer != "CN=IdP Root" {
		t.Fatalf("facts: server %+v, token %+v", st.Last.TLS, st.Token.TLS)
	}
}
