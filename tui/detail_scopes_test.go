package tui

import (
	"strings"
	"testing"
)

// TestDetailShowsRequestedScopesAndWhy: the token section says which scopes were asked for
// and where they came from, beside the granted ones: one line when the server granted what
// was asked, two when it did not.
func TestDetailShowsRequestedScopesAndWhy(t *testing.T) {
	tests := []struct {
		name      string
		requested []string
		source    string
		granted   []string
		want      []string
		wantNot   string
	}{
		{"from the challenge", []string{"mcp:read", "mcp:tools"}, "challenge", []string{"mcp:tools", "mcp:read"},
			[]string{"Scopes     mcp:read mcp:tools (from the server's challenge)"}, "Requested"},
		{"from scopes_supported", []string{"mcp:read"}, "scopes_supported", nil,
			[]string{"Scopes     mcp:read (from the server's scopes_supported)"}, "Granted"},
		{"none", nil, "none", nil, []string{"Scopes     none requested (none configured, none named by the server)"}, ""},
		{"granted other than requested", []string{"repo:read"}, "configured", []string{"repo:read", "repo:write"},
			[]string{"Requested  repo:read (configured)", "Granted    repo:read repo:write"}, ""},
		{"none requested, some granted", nil, "none", []string{"default"},
			[]string{"Requested  none requested (none configured, none named by the server)", "Granted    default"}, ""},
		{"an unknown source is shown cleaned", []string{"x"}, "future\x1b[31m", []string{"x"}, []string{"Scopes     x (future)"}, ""},
		{"no source: granted only, as before", nil, "", []string{"repo:read"}, []string{"Scopes     repo:read"}, "Requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := fleet()
			for i := range snap.Servers {
				if s := snap.Servers[i]; s.Name == "github-tools" {
					tok := *s.Token
					tok.RequestedScopes, tok.ScopeSource, tok.Scopes = tt.requested, tt.source, tt.granted
					s.Token = &tok
				}
			}
			m := keys(newModel(newFake(snap), 160, 48), "G", "k", "k", "k", "k", "enter")
			if m.selected != "github-tools" {
				t.Fatalf("selected %q", m.selected)
			}
			text := strings.Join(screen(m), "\n")
			for _, w := range tt.want {
				if !strings.Contains(text, "\n  "+w+"\n") {
					t.Errorf("detail view lacks %q:\n%s", w, text)
				}
			}
			if tt.wantNot != "" && strings.Contains(text, tt.wantNot) {
				t.Errorf("detail view has %q:\n%s", tt.wantNot, text)
			}
		})
	}
}
