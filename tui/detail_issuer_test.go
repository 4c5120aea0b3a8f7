package tui

import (
	"strings"
	"testing"
)

// TestDetailShowsIssuerAndWhyTrusted: with a discovered token endpoint, the
// token section names the authorization server and why credentials may go there.
func TestDetailShowsIssuerAndWhyTrusted(t *testing.T) {
	for trust, want := range map[string]string{
		"pinned":      "Issuer     https://login.example.com (pinned)",
		"same_origin": "Issuer     https://login.example.com (on the server's origin)",
	} {
		snap := fleet()
		for i := range snap.Servers {
			if s := snap.Servers[i]; s.Name == "github-tools" {
				tok := *s.Token
				tok.Issuer, tok.IssuerTrust = "https://login.example.com", trust
				s.Token = &tok
			}
		}
		m := keys(newModel(newFake(snap), 160, 48), "G", "k", "k", "k", "k", "enter")
		if text := strings.Join(screen(m), "\n"); !strings.Contains(text, "\n  "+want+"\n") {
			t.Errorf("%s: detail view lacks %q:\n%s", trust, want, text)
		}
	}
}
