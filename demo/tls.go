package demo

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// vaultExpiry is how long the vault's certificate has left: under the
// default cert_warning (14 days), so the dashboard warns tls.expiring. The
// hour keeps it "5d" (days are counted down) through a long demo.
const vaultExpiry = 5*24*time.Hour + time.Hour

// vault is an https server behind the fleet's own private CA, which the
// config trusts through tls.ca_file (written to a temporary directory that
// Close removes). Its certificate expires in 5 days: healthy, and warning.
func (f *Fleet) vault() (member, error) {
	now := time.Now()
	ca, err := pki.NewCA("mcpwatch demo private CA", now.Add(-time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		return member{}, err
	}
	cert, err := ca.Server([]string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(vaultExpiry))
	if err != nil {
		return member{}, err
	}
	dir, err := os.MkdirTemp("", "mcpwatch-demo-ca-")
	if err != nil {
		return member{}, fmt.Errorf("demo fleet: %w", err)
	}
	f.closers = append(f.closers, func() { _ = os.RemoveAll(dir) })
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		return member{}, fmt.Errorf("demo fleet: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return member{}, fmt.Errorf("demo fleet: listen on 127.0.0.1: %w", err)
	}
	h := atMCPPath(f.streamable(newMCP("vault", "1.3.0",
		toolSpec{"read_secret_metadata", "Show a secret's metadata (never its value)", []string{"path"}},
		toolSpec{"list_policies", "List access policies", nil},
	)))
	cfg := cert.ServerConfig(nil)
	cfg.NextProtos = []string{"h2", "http/1.1"}
	tl := tls.NewListener(ln, cfg)
	base := f.serveOn(tl, "https", func(string) http.Handler { return h })
	return member{config.Server{Name: "vault", URL: base + mcpPath, Tags: []string{"prod", "security"},
		TLS: config.TLS{CAFile: caFile}},
		"healthy, warns tls.expiring: https behind the fleet's own CA (tls.ca_file); its certificate expires in 5 days, under cert_warning (14d)"}, nil
}

// writeTLS writes a server's tls block and cert_warning, when set.
func writeTLS(b *bytes.Buffer, ind string, s *config.Server, d config.Defaults) {
	if s.CertWarning != 0 && s.CertWarning != d.CertWarning && s.CertWarning != config.DefaultCertWarning {
		field(b, ind, "cert_warning", s.CertWarning.String())
	}
	t := s.TLS
	if t.IsZero() {
		return
	}
	b.WriteString(ind + "tls:\n")
	optional(b, ind+"  ", "ca_file", t.CAFile)
	optional(b, ind+"  ", "cert_file", t.CertFile)
	optional(b, ind+"  ", "key_file", t.KeyFile)
	optional(b, ind+"  ", "server_name", t.ServerName)
	if t.InsecureSkipVerify {
		field(b, ind+"  ", "insecure_skip_verify", "true")
	}
}
