package textsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var seeds = []string{
	"plain text",
	"名前 émoji 🚀 👨\u200d👩\u200d👧",
	"\x1b]0;pwned\x07after",
	"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
	"\x1b[2J\x1b[31mred\x1b[0m",
	"\x1bP1$r0m\x1b\\ \x1b_Gf=100\x1b\\ \x1b7\x1b8 \x1b(B \x1b#8",
	"\u009b31m \u009d0;t\u009c \u0090d\u009c \u0085",
	"evil\u202egnp.exe \u2066x\u2069 \u200e\u200f\u061c",
	"a\xffb\xe2\x80 \xc0\x80",
	"tabs\tand\r\nlines\v\f\u2028\u2029",
	"x\x1b]0;unterminated",
	"\x1b[1\x072J \x1b\x1b[",
	"  runs   of   space  …",
}

// special reports whether r must never reach a terminal: a C0 control but
// for the line feed that Block keeps, DEL, a C1 control, a bidi control, or
// a line or paragraph separator. It is written apart from the
// implementation, as the fuzz targets' oracle.
func special(r rune, lf bool) bool {
	switch {
	case r == '\n':
		return !lf
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

func checkSafe(t *testing.T, fn, in, out string, lf bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s(%q) = %q: not valid UTF-8", fn, in, out)
	}
	for i, r := range out {
		if special(r, lf) {
			t.Fatalf("%s(%q) = %q: %U survives at byte %d", fn, in, out, r, i)
		}
	}
}

// FuzzText: whatever goes in, no control, escape, bidi control or invalid
// UTF-8 comes out of Text, Block or Line; each is idempotent; text with
// nothing to remove passes unchanged.
func FuzzText(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		printable := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return special(r, false) })

		text := Text(s)
		checkSafe(t, "Text", s, text, false)
		if Text(text) != text {
			t.Fatalf("Text is not idempotent: %q → %q → %q", s, text, Text(text))
		}
		if len(text) > len(s) {
			t.Fatalf("Text(%q) = %q grew", s, text)
		}
		if printable && text != s {
			t.Fatalf("Text changed printable %q to %q", s, text)
		}

		block := Block(s)
		checkSafe(t, "Block", s, block, true)
		if Block(block) != block {
			t.Fatalf("Block is not idempotent: %q → %q → %q", s, block, Block(block))
		}
		if printable && !strings.Contains(s, "\t") && block != s {
			t.Fatalf("Block changed printable %q to %q", s, block)
		}
		// Block and Text remove the same things; only line breaks and tabs differ.
		if Line(block, 0) != Line(s, 0) {
			t.Fatalf("Block and Text disagree on %q: %q vs %q", s, block, text)
		}

		for _, max := range []int{0, 1, 7, 40} {
			line := Line(s, max)
			checkSafe(t, "Line", s, line, false)
			if again := Line(line, max); again != line {
				t.Fatalf("Line(·, %d) is not idempotent: %q → %q → %q", max, s, line, again)
			}
			if strings.Contains(line, "  ") || strings.HasPrefix(line, " ") || strings.HasSuffix(line, " ") {
				t.Fatalf("Line(%q, %d) = %q keeps a run of space", s, max, line)
			}
			if max > 0 && len(strings.TrimSuffix(line, "…")) > max {
				t.Fatalf("Line(%q, %d) = %q is longer than %d bytes", s, max, line, max)
			}
		}
	})
}

// FuzzEscapeJSON: the escaped JSON is valid, reads back exactly as the
// encoder's output does, holds no raw DEL, C1 or bidi control, and is the
// encoder's output unchanged when there was nothing to escape.
func FuzzEscapeJSON(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{s, map[string][]string{s: {s, "x"}}} {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			out := EscapeJSON(bytes.Clone(raw))
			if !json.Valid(out) {
				t.Fatalf("EscapeJSON(%q) = %q: not valid JSON", raw, out)
			}
			if !utf8.Valid(out) {
				t.Fatalf("EscapeJSON(%q) = %q: not valid UTF-8", raw, out)
			}
			for _, r := range string(out) {
				if r != '\n' && special(r, false) {
					t.Fatalf("EscapeJSON(%q) = %q: %U raw", raw, out, r)
				}
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			wb, _ := json.Marshal(want)
			gb, _ := json.Marshal(got)
			if !bytes.Equal(wb, gb) {
				t.Fatalf("EscapeJSON changed the value: %s reads back as %s", raw, out)
			}
			if !bytes.ContainsFunc(raw, func(r rune) bool { return r != '\n' && special(r, false) }) && !bytes.Equal(out, raw) {
				t.Fatalf("EscapeJSON changed %q to %q with nothing to escape", raw, out)
			}
		}
	})
}
