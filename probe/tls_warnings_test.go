package probe

import (
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

func TestTLSWarningsTable(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cert := func(left time.Duration, verified bool) *CertInfo {
		return &CertInfo{Verified: verified, NotAfter: now.Add(left), ExpiresFirst: "CN=x"}
	}
	https := config.Server{URL: "https://a.example/mcp"}
	oauth2 := https
	oauth2.Auth = config.Auth{Type: config.AuthOAuth2}
	insecureBoth := oauth2
	insecureBoth.TLS.InsecureSkipVerify, insecureBoth.Auth.TLS.InsecureSkipVerify = true, true
	insecureHTTP := config.Server{URL: "http://a.example/mcp", TLS: config.TLS{InsecureSkipVerify: true}}
	insecureHTTPToken := oauth2
	insecureHTTPToken.Auth.TokenURL = "http://idp.example/token"
	insecureHTTPToken.Auth.TLS.InsecureSkipVerify = true
	custom := https
	custom.CertWarning = 48 * time.Hour
	cases := []struct {
		name string
		srv  config.Server
		last *CertInfo
		tok  *CertInfo
		want []Warning
	}{
		{"far from expiry", https, cert(30*24*time.Hour, true), nil, nil},
		{"server within 14d", https, cert(3*24*time.Hour+time.Minute, true), nil,
			[]Warning{{WarnTLSExpiring, "server certificate expires in 3d, 2026-12-04 (CN=x)"}}},
		{"hours left", https, cert(5*time.Hour, true), nil,
			[]Warning{{WarnTLSExpiring, "server certificate expires in 5h, 2026-12-01 (CN=x)"}}},
		{"refused chains are failures, not warnings", https, cert(24*time.Hour, false), nil, nil},
		{"cert_warning 2d", custom, cert(3*24*time.Hour, true), nil, nil},
		{"both endpoints", oauth2, cert(3*24*time.Hour+time.Minute, true), cert(10*24*time.Hour+time.Minute, true),
			[]Warning{{WarnTLSExpiring, "server certificate expires in 3d, 2026-12-04 (CN=x); token endpoint certificate expires in 10d, 2026-12-11 (CN=x)"}}},
		{"insecure both", insecureBoth, nil, nil,
			[]Warning{{WarnTLSInsecure, "insecure_skip_verify: the server's and the token endpoint's certificates are not verified; anyone on the path can impersonate it"}}},
		{"insecure over http means nothing", insecureHTTP, nil, nil, nil},
		{"nor for an http token endpoint", insecureHTTPToken, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tok *TokenInfo
			if c.tok != nil {
				tok = &TokenInfo{TLS: c.tok}
			}
			got := tlsWarnings(&c.srv, &Result{TLS: c.last}, tok, now)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("got %v, want %v", got[i], c.want[i])
				}
			}
		})
	}
}
