package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTLSDefaultsMergeFieldByField(t *testing.T) {
	src := `defaults:
  cert_warning: 30d
  tls:
    ca_file: ca/private.pem
    cert_file: client.pem
    key_file: client.key
  auth:
    tls:
      ca_file: ca/auth.pem
servers:
  - name: inherits
    url: https://a.example/mcp
  - name: own-pair
    url: https://b.example/mcp
    cert_warning: 72h
    tls:
      cert_file: /pki/b.pem
      key_file: /pki/b.key
      server_name: mcp.internal
  - name: oauth
    url: https://c.example/mcp
    auth: {type: oauth2, client_id: c, client_secret: "${S}", token_url: "https://auth.example/token"}
  - name: bearer
    url: https://d.example/mcp
    auth: {type: bearer, token: "${T}"}
  - name: local
    transport: stdio
    command: srv
`
	f, _ := mustParse(t, filepath.Join("etc", "c.yaml"), "allow_stdio: true\n"+src)
	at := func(p string) string { return filepath.Join("etc", p) }
	byName := map[string]Server{}
	for _, s := range f.Servers {
		byName[s.Name] = s
	}
	want := TLS{CAFile: at("ca/private.pem"), CertFile: at("client.pem"), KeyFile: at("client.key")}
	if got := byName["inherits"].TLS; got != want {
		t.Errorf("inherits: %+v, want %+v", got, want)
	}
	if got := byName["inherits"].CertWarning; got != 30*24*time.Hour {
		t.Errorf("cert_warning inherited = %v, want 720h", got)
	}
	// The pair comes from the server, ca_file still from the defaults.
	want = TLS{CAFile: at("ca/private.pem"), CertFile: "/pki/b.pem", KeyFile: "/pki/b.key", ServerName: "mcp.internal"}
	if got := byName["own-pair"]; got.TLS != want || got.CertWarning != 72*time.Hour {
		t.Errorf("own-pair: %+v, %v; want %+v, 72h", got.TLS, got.CertWarning, want)
	}
	if got := byName["oauth"].Auth.TLS; got != (TLS{CAFile: at("ca/auth.pem")}) {
		t.Errorf("oauth token endpoint: %+v, want defaults.auth.tls", got)
	}
	if got := byName["bearer"].Auth.TLS; !got.IsZero() {
		t.Errorf("bearer has no token endpoint, got auth.tls %+v", got)
	}
	if got := byName["local"].TLS; !got.IsZero() {
		t.Errorf("a stdio server inherits no TLS, got %+v", got)
	}
}

func TestTLSErrorsHavePositions(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://a.example/mcp\n"
	tests := []struct{ name, src, want string }{
		{"cert without key", srv + "    tls:\n      cert_file: c.pem\n",
			`c.yaml:5:7: servers[0].tls.key_file: cert_file needs key_file; the client certificate's PEM private key; set both or neither`},
		{"key without cert", srv + "    tls:\n      key_file: c.key\n",
			`c.yaml:5:7: servers[0].tls.cert_file: key_file needs cert_file; the client certificate (PEM) the key belongs to; set both or neither`},
		{"empty ca_file", srv + "    tls:\n      ca_file: \"\"\n", `c.yaml:5:16: servers[0].tls.ca_file: empty file path`},
		{"bad server_name", srv + "    tls:\n      server_name: a b\n",
			`c.yaml:5:20: servers[0].tls.server_name: invalid host name "a b"; the name the server's certificate is issued for, e.g. mcp.internal.example`},
		{"unknown key", srv + "    tls:\n      ca: x.pem\n", `c.yaml:5:7: servers[0].tls.ca: unknown key; valid keys: ca_file, cert_file, key_file, server_name, insecure_skip_verify`},
		{"insecure not a bool", srv + "    tls:\n      insecure_skip_verify: yes please\n",
			`c.yaml:5:29: servers[0].tls.insecure_skip_verify: expected true or false, got a string`},
		{"bad cert_warning", srv + "    cert_warning: two weeks\n",
			`c.yaml:4:19: servers[0].cert_warning: invalid duration "two weeks"; how long before a certificate expires to warn: whole days like 14d, or a Go duration like 336h`},
		{"auth.tls without oauth2", srv + "    auth:\n      type: bearer\n      token: ${T}\n      tls: {ca_file: ca.pem}\n",
			`c.yaml:7:7: servers[0].auth.tls: only valid with type: oauth2; this auth has type: bearer`},
		{"tls on stdio", "allow_stdio: true\nservers:\n  - name: a\n    transport: stdio\n    command: x\n    tls: {ca_file: ca.pem}\n",
			`c.yaml:6:5: servers[0].tls: a stdio server has no TLS; remove tls:`},
		{"defaults.auth other key", "defaults:\n  auth:\n    token: x\n" + srv,
			`c.yaml:3:5: defaults.auth.token: unknown key; valid keys: tls`},
		{"defaults pair broken", "defaults:\n  tls:\n    cert_file: c.pem\n" + srv,
			`c.yaml:3:5: defaults.tls.key_file: cert_file needs key_file; the client certificate's PEM private key; set both or neither`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(parseErrs(t, tt.src), "\n")
			if got != tt.want {
				t.Errorf("errors:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestInsecureSkipVerifyWarnsAtLoad(t *testing.T) {
	_, warns := mustParse(t, "c.yaml", "servers:\n  - name: a\n    url: https://a.example/mcp\n    tls: {insecure_skip_verify: true}\n")
	if len(warns) != 1 || !strings.Contains(warns[0].String(), "servers[0].tls.insecure_skip_verify: certificates are not verified") {
		t.Fatalf("warnings = %v", warns)
	}
}
