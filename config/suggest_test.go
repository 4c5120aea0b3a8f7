package config

import (
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"clientid", "client_id"},
		{"clientId", "client_id"},
		{"client-secret", "client_secret"},
		{"tokenurl", "token_url"},
		{"scope", "scopes"},
		{"pasword", "password"},
		{"clien", "client_id"},                  // prefix, more than 2 edits away
		{"client_secret_path", "client_secret"}, // the valid key is a prefix of the word
		{"zzzzzz", ""},
		{"ty", "type"}, // distance 2
		{"q", ""},      // too short for a prefix guess
		{strings.Repeat("a", 100), ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, authKeys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"héllo", "hello", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
