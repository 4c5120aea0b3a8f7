package config

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yaml.v3 stops at the first alias whose anchor is not defined before it,
// and says neither where nor in which field. To report it as the decoder
// reports everything else (at its place, under its field, with the rest of
// the file's problems), the alias is found in the text and overwritten, in
// a copy, by "~" and spaces, a null of the same length, and the file parsed
// again; the decoder then reports the null at that place as the alias.

// maxUnknownAliases bounds the re-parses: each costs a parse of the file.
const maxUnknownAliases = 8

// unknownAnchor is the name in yaml.v3's "unknown anchor 'NAME' referenced".
func unknownAnchor(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "unknown anchor '")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "' referenced")
	return name, ok
}

// parseTolerant parses data, replacing unknown aliases (up to
// maxUnknownAliases) as above and recording each in d.unknown.
func (d *decoder) parseTolerant(data []byte) (*yaml.Node, *Error) {
	text := data
	from := 0 // where to look for the next alias of the failing name
	for {
		body, err := d.parseYAML(text)
		if err == nil {
			d.data = text
			return body, nil
		}
		name, ok := unknownAnchor(strings.TrimPrefix(err.Error(), "yaml: "))
		if !ok {
			return nil, d.syntaxError(err, text)
		}
		off := findAlias(text, name, from)
		if off < 0 {
			return nil, d.syntaxError(err, text)
		}
		line, col := lineCol(text, off)
		if len(d.unknown) == maxUnknownAliases {
			return nil, &Error{Pos: Position{File: d.name, Line: line, Col: col},
				Msg:  fmt.Sprintf("unknown alias *%s, and more than %d unknown aliases before it", name, maxUnknownAliases),
				Hint: "define each anchor (&name) before its aliases (*name)"}
		}
		if &text[0] == &data[0] {
			text = bytes.Clone(data)
		}
		copy(text[off:], "~"+strings.Repeat(" ", len(name)))
		if d.unknown == nil {
			d.unknown = map[[2]int]string{}
		}
		d.unknown[[2]int{line, col}] = name
		from = off + 1
	}
}

// findAlias is the offset of the first "*name" at or after from that stands
// as a token of its own, or -1.
func findAlias(data []byte, name string, from int) int {
	pat := []byte("*" + name)
	for from < len(data) {
		i := bytes.Index(data[from:], pat)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(pat)
		if (i == 0 || bytes.IndexByte([]byte(" \t\n[{,"), data[i-1]) >= 0) &&
			(end == len(data) || bytes.IndexByte([]byte(" \t\r\n]},"), data[end]) >= 0) {
			return i
		}
		from = i + 1
	}
	return -1
}

// unknownAlias reports n when it stands for an unknown alias, at path.
func (d *decoder) unknownAlias(n *yaml.Node, path string) bool {
	if d.unknown == nil || n == nil || n.Kind != yaml.ScalarNode || n.Tag != tagNull {
		return false
	}
	name, ok := d.unknown[[2]int{n.Line, n.Column}]
	if !ok {
		return false
	}
	hint := fmt.Sprintf("define it first with &%s", name)
	if bytes.Contains(d.data, []byte("&"+name)) {
		hint = fmt.Sprintf("&%s is defined after this alias; YAML anchors must come first", name)
	}
	d.errorf(d.pos(n), path, "unknown alias *"+name, hint)
	return true
}
