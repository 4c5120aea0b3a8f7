package textsafe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain ASCII", "plain text", "plain text"},
		{"printable Unicode", "名前 émoji 🚀 café ü", "名前 émoji 🚀 café ü"},
		{"emoji joined by ZWJ", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"a literal replacement character", "a\uFFFDb", "a\uFFFDb"},
		{"empty", "", ""},

		{"OSC window title, BEL", "\x1b]0;pwned\x07after", "after"},
		{"OSC window title, ST", "\x1b]0;pwned\x1b\\after", "after"},
		{"OSC 8 link, ST", "see \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ here", "see click here"},
		{"OSC 8 link, BEL", "\x1b]8;id=1;https://evil.example/\x07click\x1b]8;;\x07", "click"},
		{"OSC ended by another escape", "\x1b]0;t\x1b[31mred", "red"},
		{"OSC cancelled by CAN", "\x1b]0;t\x18x", "x"},
		{"OSC cancelled by SUB", "\x1b]0;t\x1ax", "x"},
		{"unterminated OSC runs to the end", "x\x1b]0;title and the rest", "x"},
		{"CSI clear screen", "a\x1b[2Jb", "ab"},
		{"CSI colours", "\x1b[31mred\x1b[0m", "red"},
		{"CSI private mode", "\x1b[?1049hx\x1b[?25l", "x"},
		{"CSI with intermediates", "\x1b[1 qx", "x"},
		{"CSI cut short by a control", "\x1b[1\x072J", "2J"},
		{"CSI at the end", "x\x1b[", "x"},
		{"DCS", "\x1bP1$r0m\x1b\\x", "x"},
		{"APC (kitty graphics)", "\x1b_Gf=100;AAAA\x1b\\x", "x"},
		{"PM", "\x1b^private\x1b\\x", "x"},
		{"SOS", "\x1bXstring\x1b\\x", "x"},
		{"save and restore cursor", "\x1b7saved\x1b8", "saved"},
		{"full reset", "a\x1bcb", "ab"},
		{"charset designation", "\x1b(Bx\x1b)0", "x"},
		{"DEC screen alignment", "\x1b#8x", "x"},
		{"ESC at the end", "x\x1b", "x"},
		{"ESC before a control", "\x1b\x07x", "x"},
		{"ESC ESC [", "\x1b\x1b[2Jx", "x"},
		{"ESC before non-ASCII", "\x1bé", "é"},

		{"8-bit CSI", "\u009b31mred\u009b0m", "red"},
		{"8-bit OSC, ST", "\u009d0;title\u009cafter", "after"},
		{"8-bit OSC, BEL", "\u009d0;title\x07after", "after"},
		{"8-bit OSC, ESC \\", "\u009d0;title\x1b\\after", "after"},
		{"8-bit DCS", "\u0090data\u009cx", "x"},
		{"8-bit SOS", "\u0098data\u009cx", "x"},
		{"8-bit PM", "\u009edata\u009cx", "x"},
		{"8-bit APC", "\u009fdata\u009cx", "x"},
		{"lone C1 controls", "a\u0080b\u009cc\u0084d", "abcd"},
		{"NEL is a line break", "a\u0085b", "a b"},

		{"C0 and DEL", "a\x00b\x07c\x7fd\x08e", "abcde"},
		{"tab", "tab\there", "tab here"},
		{"newlines", "line\nbreak\r\nagain\rx", "line break  again x"},
		{"vertical tab and form feed", "a\vb\fc", "a b c"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c"},

		{"bidi override", "evil\u202egnp.exe", "evilgnp.exe"},
		{"every bidi control", "a\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061cb", "ab"},

		{"invalid byte", "a\xffb", "ab"},
		{"raw 8-bit CSI byte is invalid UTF-8", "a\x9b31mb", "a31mb"},
		{"truncated sequence", "a\xe2\x80", "a"},
		{"overlong encoding", "a\xc0\x80b", "ab"},
		{"surrogate half", "a\xed\xa0\x80b", "ab"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBlock(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "one\ntwo", "one\ntwo"},
		{"line endings", "a\r\nb\rc\n\nd", "a\nb\nc\n\nd"},
		{"vertical breaks", "a\vb\fc\u0085d\u2028e\u2029f", "a\nb\nc\nd\ne\nf"},
		{"tabs", "\tx\ty", "    x    y"},
		{"escapes go, lines stay", "a\x1b[2J\nb\x1b]0;t\x07\nc", "a\nb\nc"},
		{"C1 and bidi", "\u009b2Ja\n\u202eb", "a\nb"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Block(tt.in); got != tt.want {
				t.Errorf("Block(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain text", 200, "plain text"},
		{"  runs\t of\n\nspace  ", 200, "runs of space"},
		{"no\u00a0\u00a0break\u3000space", 0, "no break space"},
		{"\x1b[31mred\x1b[0m", 200, "red"},
		{"\x1b]0;pwned\x07 title", 200, "title"},
		{"c1 \u0085next \u009b31mcsi", 200, "c1 next csi"},
		{"del\x7f", 200, "del"},
		{"rtl \u202eoverride \u2067isolate\u2069 \u200emark \u061c", 200, "rtl override isolate mark"},
		{"bad \xff utf8", 200, "bad utf8"},
		{strings.Repeat("ab", 10), 10, strings.Repeat("ab", 5) + "…"},
		{strings.Repeat("ab", 10), 0, strings.Repeat("ab", 10)},
		{"ééé", 3, "é…"}, // never half a rune
		{"a b c d", 2, "a…"},
		{"abc…", 4, "abc…"},
	} {
		if got := Line(tt.in, tt.max); got != tt.want {
			t.Errorf("Line(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestCleanTextIsNotCopied(t *testing.T) {
	for _, s := range []string{"billing-eu", "名前がとても長いサーバー", "émoji 🚀", "http.503: upstream failed"} {
		if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 0 {
			t.Errorf("Text(%q): %.0f allocations, want 0", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Line(s, 200) }); n != 0 {
			t.Errorf("Line(%q): %.0f allocations, want 0", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Block(s + "\n" + s) }); n > 1 { // the concatenation
			t.Errorf("Block(%q): %.0f allocations, want none of its own", s, n)
		}
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := "mcpwatch: --server \x1b]0;pwned\x07evil\u202e: no such server\n\tnext\r\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(in))
	}
	if want := "mcpwatch: --server evil: no such server\n    next\n"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
}

// TestEncodingJSONLeavesC1AndBidiRaw is why EscapeJSON exists: the standard
// encoder escapes C0 controls and U+2028/U+2029, but writes DEL, C1 controls
// and bidi controls as they are.
func TestEncodingJSONLeavesC1AndBidiRaw(t *testing.T) {
	b, err := json.Marshal("\x1b\u2028|\x7f\u009b\u202e\u2066\u200f\u061c")
	if err != nil {
		t.Fatal(err)
	}
	if want := `"\u001b\u2028|` + "\x7f\u009b\u202e\u2066\u200f\u061c" + `"`; string(b) != want {
		t.Fatalf("encoding/json wrote %q; if it escapes these now, EscapeJSON may be redundant", b)
	}
}

func TestEscapeJSON(t *testing.T) {
	in := map[string]string{"name": "evil\u202egnp.exe", "msg": "\u009b31mred\x7f\u0085\u2066\u2069\u200e\u200f\u061c", "ok": "名前 🚀 é"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := EscapeJSON(b)
	want := `{"msg":"\u009b31mred\u007f\u0085\u2066\u2069\u200e\u200f\u061c","name":"evil\u202egnp.exe","ok":"名前 🚀 é"}`
	if string(got) != want {
		t.Fatalf("EscapeJSON = %s\nwant          %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if back[k] != v {
			t.Errorf("%s reads back as %q, want %q", k, back[k], v)
		}
	}

	clean := []byte(`{"name":"名前 🚀","n":1}`)
	if got := EscapeJSON(clean); &got[0] != &clean[0] {
		t.Errorf("clean JSON was copied")
	}
	if n := testing.AllocsPerRun(100, func() { _ = EscapeJSON(clean) }); n != 0 {
		t.Errorf("clean JSON: %.0f allocations, want 0", n)
	}
}

var sink string

func BenchmarkText(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"ascii", "billing-eu-west-1: connect: connection refused by upstream"},
		{"unicode", "名前がとても長いサーバー émoji 🚀"},
		{"hostile", "\x1b]0;pwned\x07red \x1b[31mtext\x1b[0m \u009b2J \u202eevil"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Text(c.s)
			}
		})
	}
}

// TestEscapeJSONAtEveryOffset: what needs escaping is found wherever it
// sits, in the eight-byte steps of the scan or in the bytes after them.
func TestEscapeJSONAtEveryOffset(t *testing.T) {
	for _, bad := range []string{"\x7f", "\u0085", "\u202e", "\u061c", "\u2028"} {
		for n := range 40 {
			for at := 0; at <= n; at++ {
				text := strings.Repeat("a", at) + bad + strings.Repeat("b", n-at) + "é\u00a0"
				got := string(EscapeJSON([]byte(text)))
				want := strings.Repeat("a", at) + fmt.Sprintf(`\u%04x`, []rune(bad)[0]) + strings.Repeat("b", n-at) + "é\u00a0"
				if got != want {
					t.Fatalf("EscapeJSON(%q) = %q, want %q", text, got, want)
				}
			}
		}
	}
}
