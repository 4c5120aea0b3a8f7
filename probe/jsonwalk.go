package probe

import (
	"unicode/utf8"
)

// jsonWalk steps through a JSON value that a JSON decoder has already
// accepted (an answer's result: fastEnvelope validated it, or json's
// decoder copied it), for the fast readers of answers (leanread.go). It
// does not validate again; on anything it does not expect it stops with
// ok false, and the caller decodes with encoding/json as before. It never
// reads past the slice, whatever the bytes.
type jsonWalk struct {
	b []byte
	i int
}

func (w *jsonWalk) space() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (w *jsonWalk) peek() byte {
	w.space()
	if w.i < len(w.b) {
		return w.b[w.i]
	}
	return 0
}

func (w *jsonWalk) eat(c byte) bool {
	if w.peek() == c {
		w.i++
		return true
	}
	return false
}

// str reads the string at w.i: its bytes between the quotes, and plain
// when they hold no escape and are valid UTF-8, so that they are what
// json decodes the string to.
func (w *jsonWalk) str() (s []byte, plain, ok bool) {
	if w.peek() != '"' {
		return nil, false, false
	}
	start, esc := w.i+1, false
	for j := start; j < len(w.b); j++ {
		switch w.b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			w.i = j + 1
			s = w.b[start:j]
			return s, !esc && utf8.Valid(s), true
		}
	}
	return nil, false, false
}

// skip passes over one value and returns it (white space around it left out).
func (w *jsonWalk) skip() ([]byte, bool) {
	w.space()
	start := w.i
	if w.i >= len(w.b) {
		return nil, false
	}
	switch w.b[w.i] {
	case '"':
		_, _, ok := w.str()
		return w.b[start:w.i], ok
	case '{', '[':
		depth := 0
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case '"':
				if _, _, ok := w.str(); !ok {
					return nil, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					w.i++
					return w.b[start:w.i], true
				}
			}
			w.i++
		}
		return nil, false
	}
	for w.i < len(w.b) { // a number or a literal
		switch w.b[w.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return w.b[start:w.i], w.i > start
		}
		w.i++
	}
	return w.b[start:w.i], w.i > start
}

// object calls member for each key, the walk at the key's value, which
// member must pass over. Keys with escapes or non-ASCII bytes stop the
// walk: json matches fields case-insensitively, with Unicode folding.
func (w *jsonWalk) object(member func(key []byte) bool) bool {
	if !w.eat('{') {
		return false
	}
	if w.eat('}') {
		return true
	}
	for {
		key, plain, ok := w.str()
		if !ok || !plain || !asciiOnly(key) || !w.eat(':') || !member(key) {
			return false
		}
		if w.eat(',') {
			continue
		}
		return w.eat('}')
	}
}

// array calls elem for each element, the walk at it; elem must pass over it.
func (w *jsonWalk) array(elem func() bool) bool {
	if !w.eat('[') {
		return false
	}
	if w.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if w.eat(',') {
			continue
		}
		return w.eat(']')
	}
}

// null passes over a null, if that is what comes next.
func (w *jsonWalk) null() bool {
	if w.peek() == 'n' && len(w.b)-w.i >= 4 && string(w.b[w.i:w.i+4]) == "null" {
		w.i += 4
		return true
	}
	return false
}

func asciiOnly(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// field reads which of names an object's key is, for a reader that reads
// each at most once: i >= 0, the first of seen's fields, whose value the
// caller then reads; i < 0 and ok, a key json ignores, its value passed
// over; ok false, a key to leave to json (a folded match, a repeat, or a
// field past seen's: one the reader does not model).
func field(w *jsonWalk, key []byte, seen []bool, names ...string) (i int, ok bool) {
	i, sure := fieldIndex(key, names...)
	switch {
	case !sure || i >= len(seen) || i >= 0 && seen[i]:
		return -1, false
	case i < 0:
		return -1, skipOK(w)
	}
	seen[i] = true
	return i, true
}

// fieldIndex is the index of key among a struct's JSON names when it is
// exactly one of them, -1 when it matches none (json ignores it), and
// ok false when it matches one only case-insensitively (json would decode
// it into that field: leave it to json). key is ASCII (object's rule).
func fieldIndex(key []byte, names ...string) (int, bool) {
	for i, n := range names {
		if string(key) == n {
			return i, true
		}
	}
	for _, n := range names {
		if len(n) == len(key) && equalFoldASCII(key, n) {
			return -1, false
		}
	}
	return -1, true
}

func equalFoldASCII(b []byte, s string) bool {
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
