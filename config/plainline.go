package config

import (
	"bytes"
	"slices"

	"go.yaml.in/yaml/v3"
)

// An item's lines as plainItem (plain.go) reads them: what each holds,
// and the tags yaml.v3 resolves their scalars to.

// plainLine is one line of an item that is not blank or a comment.
type plainLine struct {
	line   int  // in the file, 1-based
	indent int  // spaces before the first character (the "-" if dash)
	dash   bool // a "- " list entry
	col    int  // 0-based column of the key, or of the value if no key
	key    []byte
	keyTag string
	val    []byte // nil: the value is on the lines below
	valCol int
	valTag string
	style  yaml.Style // the value's: plain (0), or quoted
}

// quoted reads a value in quotes that closes on its line with no escape
// in it ("${SECRET}", as config import writes references): yaml.v3 keeps
// its text as it is, tagged !!str, at its opening quote. What may follow
// it is spaces and a comment.
func (l *plainLine) quoted(rest []byte) bool {
	q := rest[0]
	end := bytes.IndexByte(rest[1:], q) + 1
	if end == 0 || q == '"' && bytes.IndexByte(rest[1:end], '\\') >= 0 {
		return false // not closed on this line, or an escape
	}
	tail := rest[end+1:]
	if q == '\'' && len(tail) > 0 && tail[0] == '\'' {
		return false // '' is a quote inside single quotes
	}
	if t := bytes.TrimLeft(tail, " "); len(t) > 0 && (t[0] != '#' || len(t) == len(tail)) {
		return false // more after it, or a # not after a space
	}
	for _, c := range rest[1:end] {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	l.val, l.valTag, l.style = rest[1:end], "!!str", yaml.DoubleQuotedStyle
	if q == '\'' {
		l.style = yaml.SingleQuotedStyle
	}
	return true
}

// maxPlainKey is the longest key read here: yaml.v3 refuses an implicit
// key of more than 1024 characters.
const maxPlainKey = 256

// readLine splits a line into its parts; blank for a blank line or a
// comment, !ok for a line plainItem does not read.
func (p *plainParser) readLine(text []byte, line int) (l plainLine, blank, ok bool) {
	indent := 0
	for indent < len(text) && text[indent] == ' ' {
		indent++
	}
	rest := text[indent:]
	if len(rest) == 0 || rest[0] == '#' {
		return l, true, true
	}
	l = plainLine{line: line, indent: indent, col: indent}
	if rest[0] == '-' {
		j := 1
		for j < len(rest) && rest[j] == ' ' {
			j++
		}
		if j == 1 || j == len(rest) || rest[j] == '#' {
			return l, false, false // "-x", or an entry with nothing on its line
		}
		l.dash, l.col, rest = true, indent+j, rest[j:]
	}
	l.valCol = l.col
	if i := mappingColon(rest); i >= 0 {
		l.key = rest[:i]
		if l.keyTag = plainTag(l.key); l.keyTag == "" || len(l.key) > maxPlainKey {
			return l, false, false
		}
		j := i + 1
		for j < len(rest) && rest[j] == ' ' {
			j++
		}
		if j == len(rest) || rest[j] == '#' {
			return l, false, true // the value is on the lines below
		}
		l.valCol, rest = l.col+j, rest[j:]
	} else if !l.dash {
		return l, false, false // a scalar where a key belongs
	}
	if rest[0] == '"' || rest[0] == '\'' {
		return l, false, l.quoted(rest)
	}
	if i := bytes.Index(rest, []byte(" #")); i >= 0 {
		rest = rest[:i]
	}
	rest = bytes.TrimRight(rest, " ")
	if mappingColon(rest) >= 0 {
		return l, false, false
	}
	l.val = rest
	if rest[0] == '*' {
		// An alias: a name of [0-9A-Za-z_-], as yaml.v3 scans it.
		l.val = rest[1:]
		_, known := p.anchors[string(l.val)]
		l.valTag = aliasTag
		return l, false, known && len(l.val) > 0 && !slices.ContainsFunc(l.val, func(c byte) bool { return !isAlnum(c) && c != '_' && c != '-' })
	}
	l.valTag = plainTag(rest)
	return l, false, l.valTag != ""
}

// mappingColon is the index of the first ":" followed by a space or the
// end of b, where a plain scalar ends and its value starts; -1 if none.
func mappingColon(b []byte) int {
	for i := bytes.IndexByte(b, ':'); i >= 0; {
		if i+1 == len(b) || b[i+1] == ' ' {
			return i
		}
		j := bytes.IndexByte(b[i+1:], ':')
		if j < 0 {
			return -1
		}
		i += 1 + j
	}
	return -1
}

// plainTag is the tag yaml.v3 resolves plain scalar s to, or "" when s is
// not one plainItem reads: empty, not printable ASCII, starting with an
// indicator, a sign or a dot, holding " #" or ending in a space, or a
// number other than a short decimal integer.
func plainTag(s []byte) string {
	if len(s) == 0 || s[len(s)-1] == ' ' || bytes.Contains(s, []byte(" #")) {
		return ""
	}
	if string(s) == "<<" {
		return tagMerge // a merge key, as yaml.v3's parser tags it
	}
	for _, c := range s {
		if c < 0x20 || c >= 0x7f {
			return ""
		}
	}
	switch plainFirst[s[0]] {
	case firstNo:
		return ""
	case firstDigit:
		return numberTag(s)
	case firstWord: // yaml.v3's resolveMap
		switch string(s) {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return tagBool
		case "~", "null", "Null", "NULL":
			return tagNull
		}
	}
	return "!!str"
}

// What a plain scalar's first character says (plainTag).
const (
	firstStr   = iota // a string, whatever follows
	firstNo           // an indicator, a sign or a dot: left to yaml.v3
	firstDigit        // a number or a string (numberTag)
	firstWord         // a string, unless one of the words yaml.v3 resolves
)

var plainFirst = func() (t [256]byte) {
	for _, c := range []byte("-?:,[]{}#&*!|>'\"%@` .+<") {
		t[c] = firstNo
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = firstDigit
	}
	for _, c := range []byte("yYnNtTfFoO~") {
		t[c] = firstWord
	}
	return t
}()

// numberTag resolves a plain scalar that starts with a digit: a decimal
// integer of up to 18 digits (no leading zero, which yaml.v3 reads as
// octal) is !!int; letters and digits with a letter that no number can
// hold (10s, 1m30s) are !!str; anything else is left to yaml.v3.
func numberTag(s []byte) string {
	letter := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			switch c {
			case 'e', 'E', 'x', 'X', 'o', 'O', 'b', 'B':
				return "" // an exponent, or a 0x, 0o or 0b prefix
			}
			letter = true
		default:
			return "" // a float, a timestamp, an underscore, a sign
		}
	}
	switch {
	case letter:
		return "!!str"
	case len(s) <= 18 && (s[0] != '0' || len(s) == 1):
		return tagInt
	}
	return ""
}
