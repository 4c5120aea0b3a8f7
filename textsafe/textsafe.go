// Package textsafe is the one sanitizer for text from outside — MCP servers,
// token endpoints, config files, the environment — on its way to a person:
// the check table, errors, logs, the dashboard and the SSH view, the
// importer's comments. Nothing it returns can move a cursor, set a window
// title, open a link, clear a screen or reorder the text around it.
//
// It removes:
//   - C0 controls and DEL; tabs and line breaks become spaces (Text, Line)
//     or stay line breaks (Block);
//   - C1 controls, U+0080–U+009F, NEL (U+0085) being a line break;
//   - whole escape sequences, not just their ESC: CSI (ESC [ … final),
//     OSC (ESC ] … BEL or ST), the DCS, SOS, PM and APC strings
//     (ESC P, X, ^, _ … ST), two-byte and nF escapes (ESC 7, ESC (B), and
//     the 8-bit forms of each (U+009B CSI, U+009D OSC, U+0090 DCS …).
//     A string with no terminator runs to the end of the text, as a
//     terminal would swallow it;
//   - bidi controls: U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C;
//   - the line and paragraph separators U+2028 and U+2029 (line breaks);
//   - invalid UTF-8, byte by byte.
//
// Everything else stays: printable Unicode (CJK, emoji with their joiners,
// accents), and U+FFFD where the text already had one.
//
// JSON keeps the text instead: EscapeJSON writes what a terminal must not
// see raw as \u escapes.
package textsafe

import (
	"encoding/binary"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s safe to show as part of one line: everything listed in the
// package comment is removed, and tabs and line breaks become one space
// each. Text that needs nothing removed is returned as it is, without
// allocating: the dashboard calls Text for every cell of every frame.
func Text(s string) string {
	i := safePrefix(s, &stopText)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	filter(&b, s[i:], false)
	return b.String()
}

// Block is Text for text of several lines: line breaks (LF, CR LF, CR, VT,
// FF, NEL, U+2028, U+2029) become LF and tabs four spaces.
func Block(s string) string {
	i := safePrefix(s, &stopBlock)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	filter(&b, s[i:], true)
	return b.String()
}

// Line is Text for a one-line message: runs of white space become one
// space, none leads or trails, and with max > 0 the text is cut to at most
// max bytes, on a rune boundary, and marked with "…" (which comes on top).
// Text that needs no change is returned without allocating.
func Line(s string, max int) string {
	s = Text(s)
	if needsSqueeze(s) {
		s = strings.Join(strings.Fields(s), " ")
	}
	if max > 0 && len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimRight(s[:cut], " ") + "…"
	}
	return s
}

// NewWriter returns a writer that passes each Write through Block before w:
// for a stream of messages to a terminal (stderr, logs), each written whole.
// A sequence split across two writes is not recognised as one, but neither
// half gets through: at worst its printable middle shows.
func NewWriter(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, Block(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// EscapeJSON rewrites JSON so that no DEL, C1 control, bidi control or line
// or paragraph separator stays raw: each becomes a \u escape, so the
// document reads back the same and shows safely when printed. b must be
// valid UTF-8 JSON, such as encoding/json writes (which escapes C0 controls
// and U+2028/U+2029 but not DEL, C1 or bidi controls): outside strings such
// JSON is ASCII, so every rune rewritten is inside a string. b is returned
// as it is when nothing needs escaping.
func EscapeJSON(b []byte) []byte {
	i := jsonSafePrefix(b)
	if i == len(b) {
		return b
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if size > 1 && unsafeRune(r) { // all below U+10000: one \u escape each
			out = append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// jsonSafePrefix is the length of b's prefix that EscapeJSON leaves alone.
// Only DEL and runes led by 0xC2 (C1), 0xD8 (U+061C) or 0xE2 (U+2xxx) can
// need escaping.
func jsonSafePrefix(b []byte) int {
	i := 0
	// Eight bytes at a time while all are below DEL: a report is mostly
	// ASCII, and this scan was a fifth of writing it byte by byte.
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if (w|(w+0x0101010101010101))&0x8080808080808080 != 0 {
			break // a byte of 0x7f or above in these eight
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case 0x7f:
			return i
		case 0xc2, 0xd8, 0xe2:
			if r, size := utf8.DecodeRune(b[i:]); size > 1 && unsafeRune(r) {
				return i
			}
		}
	}
	return len(b)
}

// unsafeRune reports whether r, a valid rune of U+0080 or above, is removed
// (or escaped in JSON): a C1 control, a bidi control, or U+2028/U+2029.
// Most text (CJK, emoji) is past the last of them and costs one compare.
func unsafeRune(r rune) bool {
	switch {
	case r > 0x2069:
		return false
	case r < 0xa0:
		return true // C1 (callers never pass ASCII)
	case r < 0x061c:
		return false
	case r == 0x061c: // ARABIC LETTER MARK
		return true
	case r < 0x200e:
		return false
	case r <= 0x200f: // LRM, RLM
		return true
	case r < 0x2028:
		return false
	case r <= 0x202e: // LINE and PARAGRAPH SEPARATOR; LRE, RLE, PDF, LRO, RLO
		return true
	}
	return r >= 0x2066 // LRI, RLI, FSI, PDI
}

// stopText and stopBlock mark the ASCII bytes that end a safe prefix: the
// C0 controls and DEL, but LF in a block.
var stopText, stopBlock = func() (t, b [utf8.RuneSelf]bool) {
	for c := range 0x20 {
		t[c], b[c] = true, c != '\n'
	}
	t[0x7f], b[0x7f] = true, true
	return t, b
}()

// safePrefix is the length of s's prefix that needs nothing removed: the
// bytes stop marks, invalid UTF-8 and unsafe runes end it.
func safePrefix(s string, stop *[utf8.RuneSelf]bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if stop[c] {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 || unsafeRune(r) { // size 1 at a non-ASCII byte: invalid UTF-8
			return i
		}
		i += size
	}
	return len(s)
}

// filter writes s to b without what the package removes. In a block, line
// breaks become LF and tabs four spaces; otherwise each becomes a space.
func filter(b *strings.Builder, s string, block bool) {
	brk := func() {
		if block {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < 0x7f {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		case c == 0x1b:
			i = skipEscape(s, i+1)
		case c < utf8.RuneSelf: // the other C0 controls and DEL
			i++
			switch c {
			case '\t':
				if block {
					b.WriteString("    ")
				} else {
					b.WriteByte(' ')
				}
			case '\r':
				if block && i < len(s) && s[i] == '\n' {
					i++
				}
				brk()
			case '\n', '\v', '\f':
				brk()
			}
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			switch {
			case size == 1: // invalid UTF-8: dropped
			case r == 0x9b: // CSI
				i = skipCSI(s, i)
			case r == 0x9d, r == 0x90, r == 0x98, r == 0x9e, r == 0x9f: // OSC, DCS, SOS, PM, APC
				i = skipString(s, i)
			case r == 0x85, r == 0x2028, r == 0x2029: // NEL, LINE and PARAGRAPH SEPARATOR
				brk()
			case unsafeRune(r):
			default:
				b.WriteString(s[i-size : i])
			}
		}
	}
}

// skipEscape returns the index just past the escape sequence whose ESC
// ends just before s[i]. An ESC that starts no sequence is skipped alone.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch c := s[i]; {
	case c == '[':
		return skipCSI(s, i+1)
	case c == ']', c == 'P', c == 'X', c == '^', c == '_': // OSC, DCS, SOS, PM, APC
		return skipString(s, i+1)
	case c >= 0x20 && c <= 0x2f: // intermediates, then a final byte (ESC ( B, ESC # 8)
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e: // ESC 7, ESC c, ESC \ …
		return i + 1
	}
	return i
}

// skipCSI skips a control sequence's parameter and intermediate bytes and
// its final byte, starting just past the CSI. A byte that belongs to none
// ends the sequence early and is read as text again.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips a control string (OSC, DCS, SOS, PM, APC) up to and
// including its terminator: ST (ESC \ or U+009C), BEL, or CAN or SUB,
// which cancel it. Another ESC ends it too and begins a sequence of its
// own; with no terminator it runs to the end.
func skipString(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case 0x07, 0x18, 0x1a:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return i
}

// needsSqueeze reports whether Line must collapse or trim white space in
// s, which Text has already cleaned.
func needsSqueeze(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return true
		}
		i += size
	}
	return false
}
