package cmd

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// TestCheckJSONShowsTheCertificate: a real https server behind a private CA
// given by ca_file, with a certificate expiring in 3 days and a client
// certificate required: check's JSON carries the tls object and the
// tls.expiring warning, and the client key appears nowhere.
func TestCheckJSONShowsTheCertificate(t *testing.T) {
	now := time.Now()
	root, err := pki.NewCA("CLI Root", now.Add(-time.Hour), now.Add(100*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	notAfter := now.Add(3*24*time.Hour + time.Hour).Truncate(time.Second)
	cert, err := root.Server([]string{"127.0.0.1"}, now.Add(-time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	client, err := root.Client("mcpwatch", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := client.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(mcpHandler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = cert.ServerConfig(root.Pool())
	ts.StartTLS()
	t.Cleanup(ts.Close)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ca.pem"), string(root.PEM()))
	writeFile(t, filepath.Join(dir, "client.pem"), string(client.CertPEM()))
	writeFile(t, filepath.Join(dir, "client.key"), string(keyPEM))
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, `
defaults: {interval: 30s, timeout: 3s, slow: 3s}
servers:
  - name: private
    url: `+ts.URL+`
    tls: {ca_file: ca.pem, cert_file: client.pem, key_file: client.key}
`)
	code, out, errOut := runCLI(t, "check", "--config", cfgPath, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var rep struct {
		Servers []struct {
			Status   string
			TLS      *jsonTLS `json:"tls"`
			Warnings []struct{ Class, Message string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Servers[0]
	if s.Status != "healthy" || s.TLS == nil || !s.TLS.Verified || !s.TLS.NameMatched || !s.TLS.NotAfter.Equal(notAfter) ||
		s.TLS.Issuer != "CN=CLI Root" || s.TLS.Subject != "CN=127.0.0.1" || s.TLS.Name != "127.0.0.1" {
		t.Fatalf("server: %+v, tls %+v", s, s.TLS)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].Class != "tls.expiring" ||
		!strings.Contains(s.Warnings[0].Message, "server certificate expires in 3d, "+notAfter.UTC().Format(time.DateOnly)) {
		t.Fatalf("warnings %+v", s.Warnings)
	}
	if !strings.Contains(out, `"not_after": "`+notAfter.UTC().Format(time.RFC3339)+`"`) {
		t.Errorf("not_after is not in UTC RFC 3339:\n%s", out)
	}
	code, table, errOut2 := runCLI(t, "check", "--config", cfgPath)
	if code != ExitOK || !strings.Contains(table, "warning tls.expiring: server certificate expires in 3d") {
		t.Errorf("the table does not show the warning (exit %d):\n%s%s", code, table, errOut2)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(keyPEM)), "\n")[1:3] {
		if strings.Contains(out+errOut+table+errOut2, line) {
			t.Fatal("the client key reached the output")
		}
	}
}
