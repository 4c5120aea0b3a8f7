package metrics

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// TestCertExpiryOfARealTLSServer: a real https server behind a private CA
// (ca_file), its certificate expiring in 3 days, is exported with its
// certificate's expiry and the tls.expiring warning.
func TestCertExpiryOfARealTLSServer(t *testing.T) {
	now := time.Now()
	root, err := pki.NewCA("Metrics Root", now.Add(-time.Hour), now.Add(100*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	notAfter := now.Add(3 * 24 * time.Hour).Truncate(time.Second)
	cert, err := root.Server([]string{"127.0.0.1"}, now.Add(-time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(mcpHandler("tls"))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = cert.ServerConfig(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, root.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := srv("expiring", ts.URL)
	s.TLS.CAFile = caFile
	pool := newPool(s, srv("plain", serve(t, mcpHandler("plain")).URL))
	m := New(pool)
	sweep(t, pool)
	fams := families(t, scrape(t, m.Handler()))
	if got := value(one(t, fams, "mcpwatch_tls_cert_expiry_timestamp_seconds", map[string]string{"server": "expiring", "endpoint": "server"})); got != unix(notAfter) {
		t.Errorf("cert expiry = %v, want %v", got, unix(notAfter))
	}
	if got := value(one(t, fams, "mcpwatch_server_warning", map[string]string{"server": "expiring", "class": "tls.expiring"})); got != 1 {
		t.Errorf("warning{tls.expiring} = %v, want 1", got)
	}
	if n := len(series(fams, "mcpwatch_tls_cert_expiry_timestamp_seconds", map[string]string{"server": "plain"})); n != 0 {
		t.Errorf("a plain http server has %d cert expiry series", n)
	}
}

// The token endpoint's certificate is its own series.
func TestCertExpiryOfTheTokenEndpoint(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	at := time.Unix(1_900_000_000, 0)
	st := state("billing", probe.StatusHealthy)
	st.Token = &probe.TokenInfo{TLS: &probe.CertInfo{NotAfter: at, Verified: true}}
	src.set(st)
	fams := families(t, scrape(t, m.Handler()))
	if got := value(one(t, fams, "mcpwatch_tls_cert_expiry_timestamp_seconds", map[string]string{"server": "billing", "endpoint": "token"})); got != 1.9e9 {
		t.Errorf("token endpoint cert expiry = %v", got)
	}
}
