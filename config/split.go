package config

import "bytes"

// A config parsed whole is one yaml.v3 node tree: about 40 MB for 10,000
// servers, all of it live until the last server is decoded. For a file
// whose servers: list is written in block style (the usual "- name: …"
// items), Parse instead reads the list a few items at a time (items.go):
// the rest of the file with the list's lines blanked (the skeleton), then
// the items as YAML documents of their own, decoded into their Servers and
// dropped.
// The items' lines are the file's own, so columns are exact and lines only
// shifted back. splitServers finds the items from the text; it gives up
// (Parse then parses the file whole) wherever the text alone cannot tell
// that the split is what the parser would see, and items.go checks the
// rest on the parser's own output.

// itemSpan is one item of the servers: list: bytes [off, end) of the file,
// whole lines from its "- " up to the next item's, comments and blank lines
// after it included; line is its first line.
type itemSpan struct{ off, end, line int }

// serverSplit is where the block-style servers: list of a file lies.
type serverSplit struct {
	keyLine   int // the "servers:" line, at column 1
	keyOff    int // its first byte
	regionOff int // the first byte after it
	regionEnd int // the first byte of the line that ends the list, or len(data)
	col       int // the items' "-", 0-based
	items     []itemSpan
}

// splitServers finds the servers: list's items, or reports that the file
// must be parsed whole. It requires:
//   - no tab, byte-order mark, U+2028 or U+2029 and no CR but before LF
//     anywhere (they change what YAML counts as indentation or a line), and
//     no directive (%YAML, %TAG: a tag handle may mean another thing there);
//   - a "servers:" line at column 1, nothing after the colon but a comment
//     (the first such line; another is the skeleton's duplicate key);
//   - after it, items that each start with "-" at one column, lines between
//     them more indented than that "-" (or blank, or comments), up to a line
//     at column 1 that is neither "-" nor a document marker (--- or ...),
//     or the end; no document marker follows.
//
// Everything the text alone cannot tell (the servers: line is a top-level
// key and not inside a quoted string, an item ends where the next begins,
// aliases point where they would in the whole file) is checked on what the
// parser makes of the pieces (items.go).
func splitServers(data []byte) (serverSplit, bool) {
	var sp serverSplit
	for _, bad := range []string{"\t", "\ufeff", "\u2028", "\u2029"} {
		if bytes.Contains(data, []byte(bad)) {
			return sp, false
		}
	}
	const (
		before = iota
		inList
		after
	)
	state := before
	line := 0
	for off := 0; off < len(data); {
		end, next := len(data), len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end, next = off+i, off+i+1
		}
		line++
		text := data[off:end]
		if n := len(text); n > 0 && text[n-1] == '\r' {
			text = text[:n-1]
		}
		if bytes.IndexByte(text, '\r') >= 0 || len(text) > 0 && text[0] == '%' {
			return sp, false
		}
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		rest := text[indent:]
		blank := len(rest) == 0 || rest[0] == '#'
		marker := len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
		docMarker := indent == 0 && (bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("...")))
		switch state {
		case before:
			if isServersLine(text) {
				state, sp.keyLine, sp.keyOff, sp.regionOff = inList, line, off, next
			}
		case inList:
			switch {
			case blank:
			case len(sp.items) == 0 && !marker:
				return sp, false // not a block list (or an empty one): parse whole
			case len(sp.items) == 0 || marker && indent == sp.col:
				if len(sp.items) > 0 {
					sp.items[len(sp.items)-1].end = off
				}
				sp.col = indent
				sp.items = append(sp.items, itemSpan{off: off, line: line})
			case indent > sp.col:
			case indent == 0 && !docMarker && rest[0] != '-':
				state, sp.regionEnd = after, off
			default: // between the key's and the items' columns, or a stray marker
				return sp, false
			}
		case after:
			if docMarker {
				return sp, false
			}
		}
		off = next
	}
	if state == inList {
		sp.regionEnd = len(data)
	}
	if len(sp.items) == 0 {
		return sp, false
	}
	sp.items[len(sp.items)-1].end = sp.regionEnd
	return sp, true
}

// isServersLine reports whether a line is "servers:" at column 1 with
// nothing after it but spaces and a comment.
func isServersLine(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("servers:"))
	if !ok {
		return false
	}
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ' ' {
		return false // "servers:x" is one plain scalar
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '#'
}

// skeleton is data with the list's lines blanked: the file's other keys
// keep their lines, and servers: parses as null.
func skeleton(data []byte, sp serverSplit) []byte {
	n := bytes.Count(data[sp.regionOff:sp.regionEnd], []byte("\n"))
	out := make([]byte, 0, sp.regionOff+n+len(data)-sp.regionEnd)
	out = append(out, data[:sp.regionOff]...)
	out = append(out, bytes.Repeat([]byte("\n"), n)...)
	return append(out, data[sp.regionEnd:]...)
}
