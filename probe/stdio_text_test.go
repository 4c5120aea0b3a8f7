package probe

import "testing"

// A stdio server's stderr reaches the detail view: no OSC title, bidi
// override or C1 control may survive (the old filter knew only CSI).
func TestStderrLineIsSanitized(t *testing.T) {
	for in, want := range map[string]string{
		"\x1b]0;pwned\x07fatal: bad token": "fatal: bad token",
		"key \u202eexe.txt":                "key exe.txt",
		"\u009b31mred\x1b[0m":              "red",
		"col\tumns":                        "col umns",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}
