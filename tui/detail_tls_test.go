package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestDetailShowsTheCertificate: the detail view says when the server's and
// the token endpoint's certificates expire, whose they are and what was
// verified; insecure_skip_verify is shown as a warning.
func TestDetailShowsTheCertificate(t *testing.T) {
	snap := fleet()
	for i := range snap.Servers {
		if s := snap.Servers[i]; s.Name == "github-tools" {
			s.Last.TLS = &probe.CertInfo{Name: "mcp.example.com", NameMatched: true, Verified: true,
				Subject: "CN=mcp.example.com", Issuer: "CN=Private CA", NotAfter: now.Add(12*24*time.Hour + time.Hour),
				ExpiresFirst: "CN=Private Intermediate"}
			tok := *s.Token
			tok.TLS = &probe.CertInfo{Name: "auth.example.com", InsecureSkipVerify: true,
				Subject: "CN=auth.example.com", Issuer: "CN=auth.example.com", NotAfter: now.Add(-48 * time.Hour)}
			s.Token = &tok
		}
	}
	m := keys(newModel(newFake(snap), 160, 60), "G", "k", "k", "k", "k", "enter")
	text := strings.Join(screen(m), "\n")
	for _, want := range []string{
		"TLS          certificate expires in 12d, 2026-03-26 (CN=Private Intermediate expires first)",
		"Subject      CN=mcp.example.com, issued by CN=Private CA",
		"Verified     chain trusted, valid for mcp.example.com",
		"TLS        certificate expired 2d ago, 2026-03-12",
		"Verified   ▲ not verified (insecure_skip_verify)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("detail view lacks %q:\n%s", want, text)
		}
	}
}
