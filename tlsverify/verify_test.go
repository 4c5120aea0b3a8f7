package tlsverify_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/tlsverify"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

var now = time.Now()

const day = 24 * time.Hour

// must unwraps a pki result; pki only fails if crypto/rand does.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// serve starts a real TLS server presenting cert; with clientCAs it
// requires a client certificate signed by one of them.
func serve(t testing.TB, cert *pki.Cert, clientCAs *x509.CertPool) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	ts.TLS = cert.ServerConfig(clientCAs)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func write(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// get fetches url with settings s and returns the error and what was recorded.
func get(t *testing.T, url string, s tlsverify.Settings) (*tlsverify.CertInfo, error) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	rec, err := tlsverify.Configure(context.Background(), tr, s, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return rec.Info(), err
}

type fixture struct {
	root   *pki.CA
	caFile string
}

func newFixture(t *testing.T) fixture {
	root := must(pki.NewCA("Test Root", now.Add(-day), now.Add(365*day)))
	return fixture{root: root, caFile: write(t, "ca.pem", root.PEM())}
}

func TestVerifiedChainFacts(t *testing.T) {
	f := newFixture(t)
	leafEnd := now.Add(90 * day).Truncate(time.Second)
	inter := must(f.root.Intermediate("Short Intermediate", now.Add(-day), now.Add(10*day)))
	cases := []struct {
		name        string
		cert        *pki.Cert
		wantFirst   string
		wantExpires time.Time
	}{
		{"leaf from the root", must(f.root.Server([]string{"127.0.0.1"}, now.Add(-day), leafEnd)), "CN=127.0.0.1", leafEnd},
		{"expiring in 3 days", must(f.root.Server([]string{"127.0.0.1"}, now.Add(-day), now.Add(3*day).Truncate(time.Second))),
			"CN=127.0.0.1", now.Add(3 * day).Truncate(time.Second)},
		{"intermediate expires before the leaf", must(inter.Server([]string{"127.0.0.1"}, now.Add(-day), leafEnd)),
			"CN=Short Intermediate", inter.Cert.NotAfter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := serve(t, c.cert, nil)
			info, err := get(t, ts.URL, tlsverify.Settings{CAFile: f.caFile})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Verified || !info.NameMatched || info.Name != "127.0.0.1" {
				t.Errorf("info = %+v, want verified and matched for 127.0.0.1", info)
			}
			if !info.NotAfter.Equal(c.wantExpires) || info.ExpiresFirst != c.wantFirst {
				t.Errorf("earliest expiry = %v (%s), want %v (%s)", info.NotAfter, info.ExpiresFirst, c.wantExpires, c.wantFirst)
			}
			if info.Subject != "CN=127.0.0.1" || info.Issuer != c.cert.Leaf.Issuer.String() {
				t.Errorf("subject/issuer = %q/%q", info.Subject, info.Issuer)
			}
		})
	}
}

func TestRefusedCertificatesSayWhyWithDates(t *testing.T) {
	f := newFixture(t)
	expiredAt := now.Add(-2 * day)
	cases := []struct {
		name string
		cert *pki.Cert
		s    tlsverify.Settings
		want []string
	}{
		{"expired", must(f.root.Server([]string{"127.0.0.1"}, now.Add(-30*day), expiredAt)), tlsverify.Settings{CAFile: f.caFile},
			[]string{"certificate CN=127.0.0.1 expired on " + expiredAt.UTC().Format(time.DateOnly), "(2d ago)"}},
		{"wrong name", must(f.root.Server([]string{"other.example"}, now.Add(-day), now.Add(40*day))), tlsverify.Settings{CAFile: f.caFile},
			[]string{"certificate is for other.example, not 127.0.0.1", "valid until " + now.Add(40*day).UTC().Format(time.DateOnly)}},
		{"unknown authority", must(f.root.Server([]string{"127.0.0.1"}, now.Add(-day), now.Add(40*day))), tlsverify.Settings{},
			[]string{"signed by an unknown authority (issuer CN=Test Root)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := serve(t, c.cert, nil)
			info, err := get(t, ts.URL, c.s)
			var ce *tlsverify.CertError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CertError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(ce.Msg, w) {
					t.Errorf("message %q lacks %q", ce.Msg, w)
				}
			}
			if ce.UnknownAuthority() != (c.name == "unknown authority") {
				t.Errorf("UnknownAuthority() = %v", ce.UnknownAuthority())
			}
			// A chain for another name verifies; the name does not.
			if info == nil || info.Verified != (c.name == "wrong name") || info.NameMatched != (c.name != "wrong name") ||
				!info.NotAfter.Equal(c.cert.Leaf.NotAfter) {
				t.Errorf("recorded %+v, want the refused chain's facts", info)
			}
		})
	}
}

func TestServerNameAndInsecure(t *testing.T) {
	f := newFixture(t)
	ts := serve(t, must(f.root.Server([]string{"mcp.internal"}, now.Add(-day), now.Add(40*day))), nil)
	info, err := get(t, ts.URL, tlsverify.Settings{CAFile: f.caFile, ServerName: "mcp.internal"})
	if err != nil || !info.Verified || !info.NameMatched || info.Name != "mcp.internal" {
		t.Fatalf("server_name: err %v, info %+v", err, info)
	}
	info, err = get(t, ts.URL, tlsverify.Settings{InsecureSkipVerify: true})
	if err != nil || info.Verified || info.NameMatched || !info.InsecureSkipVerify || info.Subject != "CN=mcp.internal" {
		t.Fatalf("insecure: err %v, info %+v; want accepted, unverified, name not matched, facts recorded", err, info)
	}
}

func TestClientCertificate(t *testing.T) {
	f := newFixture(t)
	clientCA := must(pki.NewCA("Client CA", now.Add(-day), now.Add(365*day)))
	ts := serve(t, must(f.root.Server([]string{"127.0.0.1"}, now.Add(-day), now.Add(40*day))), clientCA.Pool())
	if _, err := get(t, ts.URL, tlsverify.Settings{CAFile: f.caFile}); err == nil {
		t.Fatal("no client certificate: the server should have refused the handshake")
	}
	client := must(clientCA.Client("mcpwatch", now.Add(-day), now.Add(40*day)))
	s := tlsverify.Settings{CAFile: f.caFile, CertFile: write(t, "client.pem", client.CertPEM()),
		KeyFile: write(t, "client.key", must(client.KeyPEM()))}
	if _, err := get(t, ts.URL, s); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
}

func TestFileErrorsNameTheFileNeverTheKey(t *testing.T) {
	root := must(pki.NewCA("Root", now.Add(-day), now.Add(day)))
	a := must(root.Client("a", now.Add(-day), now.Add(day)))
	b := must(root.Client("b", now.Add(-day), now.Add(day)))
	keyA := must(a.KeyPEM())
	keyFile := write(t, "a.key", keyA)
	cases := []struct {
		name string
		s    tlsverify.Settings
		want string
	}{
		{"missing ca_file", tlsverify.Settings{CAFile: "/nonexistent/ca.pem"}, "tls ca_file /nonexistent/ca.pem: cannot be read: no such file or directory"},
		{"ca_file without PEM", tlsverify.Settings{CAFile: write(t, "ca.pem", []byte("hello"))}, "holds no PEM certificate"},
		{"ca_file is a directory", tlsverify.Settings{CAFile: t.TempDir()}, "not a regular file"},
		{"key alone", tlsverify.Settings{KeyFile: keyFile}, "cert_file and key_file must be set together"},
		{"key of another cert", tlsverify.Settings{CertFile: write(t, "b.pem", b.CertPEM()), KeyFile: keyFile}, "private key does not match public key"},
		{"key given as cert", tlsverify.Settings{CertFile: keyFile, KeyFile: keyFile}, "tls cert_file"},
		{"oversized key", tlsverify.Settings{CertFile: write(t, "c.pem", a.CertPEM()), KeyFile: write(t, "big.key", make([]byte, tlsverify.MaxKeyFile+1))}, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tlsverify.Configure(context.Background(), &http.Transport{}, c.s, nil)
			var fe *tlsverify.FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, c.want) {
				t.Fatalf("err = %v, want a FileError containing %q", err, c.want)
			}
			body := string(keyA[strings.Index(string(keyA), "\n")+1 : len(keyA)-30])
			if strings.Contains(err.Error(), body[:20]) {
				t.Fatal("the error shows key material")
			}
		})
	}
}
