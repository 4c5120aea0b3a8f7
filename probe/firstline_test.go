package probe

import (
	"strings"
	"testing"
)

// TestFirstLineIsSanitized: a server's error text reaches the result's
// message as one bounded line with no escape sequence, C1 or bidi control.
func TestFirstLineIsSanitized(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"boom\x1b]0;pwned\x07 \x1b[2J \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ \u009b31mred \u202eevil", "boom link red evil"},
		{"first line\x1b[31m\nsecond line", "first line"},
		{"bad \xff utf8\ttab", "bad utf8 tab"},
		{"x" + strings.Repeat("é", 150), "x" + strings.Repeat("é", 99) + "…"}, // at most 200 bytes, never half a rune
	} {
		if got := firstLine(tt.in); got != tt.want {
			t.Errorf("firstLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
