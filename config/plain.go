package config

import (
	"bytes"
	"slices"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Large configs are mostly written by programs (scripts/benchfleet, an
// import, a template), every item of the servers: list a plain block of
// "key: value" lines. yaml.v3 spent two thirds of Parse's time on such
// items, its scanner and parser keeping tokens, events and marks for every
// character. plainItem builds the nodes yaml.v3 would build for an item
// straight from its lines, when the item is written only with what it
// reads exactly:
//   - lines "key: value", "key:" (the value is the lines below, more
//     indented), "- key: value", "- key:" and "- value", indented with
//     spaces, every collection in block style and more indented than its key;
//   - keys and values plain scalars of printable ASCII on one line, not
//     starting with an indicator, a sign or a dot, and resolving to a
//     string, a boolean, null or a decimal integer as yaml.v3 resolves them;
//     values also in quotes closed on their line, with no escape in them;
//   - comments on lines of their own or after a value; blank lines;
//   - "<<" keys, and aliases (*name) as values, of anchors defined above
//     the list (anchors, the caller's, from the parsed lines above it).
// Anything else (quoted keys, escapes, brackets, anchors, tags, block scalars,
// a value over several lines or left empty, non-ASCII) and the item's
// group is parsed by yaml.v3 (items.go). plain_test.go holds the nodes to
// yaml.v3's; the decoder reads a node's kind, style, tag, value, line,
// column and content, and no comments.

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

// plainParser reads items. Their nodes are reused once reset is called.
type plainParser struct {
	lines    []plainLine
	next     int // the line being read
	nodes    slab[yaml.Node]
	ptrs     slab[*yaml.Node]  // mappings' and lists' content
	stack    []*yaml.Node      // children of the collections being read
	interned map[string]string // the decoder's (intern); looked up only
	anchors  map[string]anchor // what an alias may name
}

// anchor is a node an alias names, and its name to share.
type anchor struct {
	name string
	node *yaml.Node
}

// aliasTag marks a plainLine's value as an alias; yaml.v3's alias nodes
// have no tag.
const aliasTag = "*"

// reset lets the nodes of the items read so far be reused: nothing may
// refer to them any more.
func (p *plainParser) reset() {
	p.nodes.reset()
	p.ptrs.reset()
}

// maxPlainKey is the longest key read here: yaml.v3 refuses an implicit
// key of more than 1024 characters.
const maxPlainKey = 256

// plainItem is the node of the list item whose text is data (whole lines,
// the first its "- ", starting at line), or false.
func (p *plainParser) plainItem(data []byte, line int) (*yaml.Node, bool) {
	p.lines, p.next = p.lines[:0], 0
	clear(p.stack) // what an item given up on left
	p.stack = p.stack[:0]
	for len(data) > 0 {
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		text = bytes.TrimSuffix(text, []byte{'\r'})
		l, blank, ok := p.readLine(text, line)
		if !ok {
			return nil, false
		}
		if !blank {
			p.lines = append(p.lines, l)
		}
		line++
	}
	if len(p.lines) == 0 || !p.lines[0].dash || p.lines[0].key == nil {
		return nil, false // an item that is not a mapping is the decoder's error
	}
	n, ok := p.mapping(p.lines[0].col)
	return n, ok && p.next == len(p.lines)
}

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

// mapping reads the block mapping whose keys are at column col, its first
// key on the current line.
func (p *plainParser) mapping(col int) (*yaml.Node, bool) {
	first := &p.lines[p.next]
	m := p.node()
	*m = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: first.line, Column: col + 1}
	base := len(p.stack)
	for i := 0; p.next < len(p.lines); i++ {
		l := &p.lines[p.next]
		if i > 0 {
			if l.indent < col {
				break
			}
			if l.indent > col || l.dash || l.key == nil {
				return nil, false
			}
		}
		p.stack = append(p.stack, p.scalar(l.line, l.col, l.key, l.keyTag, keyName))
		p.next++
		if l.val != nil {
			p.stack = append(p.stack, p.valueNode(l))
			continue
		}
		if p.next == len(p.lines) || p.lines[p.next].indent <= col {
			return nil, false // an empty value, or a list at its key's column
		}
		child, ok := p.block(p.lines[p.next].indent)
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, child)
	}
	m.Content = p.content(base)
	return m, true
}

// block reads the mapping or list that starts on the current line, at
// column col.
func (p *plainParser) block(col int) (*yaml.Node, bool) {
	l := &p.lines[p.next]
	switch {
	case l.dash:
		return p.sequence(col)
	case l.key != nil:
		return p.mapping(col)
	}
	return nil, false // a value on the line below its key
}

// sequence reads the block list whose "-" are at column col.
func (p *plainParser) sequence(col int) (*yaml.Node, bool) {
	first := &p.lines[p.next]
	s := p.node()
	*s = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: first.line, Column: col + 1}
	base := len(p.stack)
	for p.next < len(p.lines) {
		l := &p.lines[p.next]
		if l.indent < col {
			break
		}
		if l.indent > col || !l.dash {
			return nil, false
		}
		if l.key != nil {
			child, ok := p.mapping(l.col)
			if !ok {
				return nil, false
			}
			p.stack = append(p.stack, child)
			continue
		}
		p.stack = append(p.stack, p.valueNode(l))
		p.next++
	}
	s.Content = p.content(base)
	return s, true
}

func (p *plainParser) scalar(line, col int, text []byte, tag string, str func([]byte) string) *yaml.Node {
	n := p.node()
	if tag == aliasTag {
		a := p.anchors[string(text)]
		*n = yaml.Node{Kind: yaml.AliasNode, Value: a.name, Alias: a.node, Line: line, Column: col + 1}
		return n
	}
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: str(text), Line: line, Column: col + 1}
	return n
}

// valueNode is the node of l's value.
func (p *plainParser) valueNode(l *plainLine) *yaml.Node {
	n := p.scalar(l.line, l.valCol, l.val, l.valTag, p.value)
	n.Style = l.style
	return n
}

// anchorsBefore lists the anchors of the tree under n defined before
// line, the last of each name winning as an alias after them finds it.
func anchorsBefore(n *yaml.Node, line int, into map[string]anchor) {
	if n == nil {
		return
	}
	if n.Anchor != "" && n.Line < line {
		into[n.Anchor] = anchor{n.Anchor, n}
	}
	for _, c := range n.Content {
		anchorsBefore(c, line, into)
	}
}

// value is a scalar's text, held once if the decoder already holds it.
func (p *plainParser) value(b []byte) string {
	if v, ok := p.interned[string(b)]; ok {
		return v
	}
	return string(b)
}

// keyName is a key's text: the config's own keys are constants, found
// among the few of their length (a map's hashing cost more).
func keyName(b []byte) string {
	if byLen := knownKeys(); len(b) < len(byLen) {
		for _, k := range byLen[len(b)] {
			if k == string(b) {
				return k
			}
		}
	}
	return string(b)
}

// knownKeys holds the config's keys by their length.
var knownKeys = sync.OnceValue(func() [][]string {
	byLen := make([][]string, 24)
	for _, keys := range [][]string{topKeys, defaultsKeys, serverKeys, authKeys, tlsKeys, stateKeys} {
		for _, k := range keys {
			if len(k) < len(byLen) && !slices.Contains(byLen[len(k)], k) {
				byLen[len(k)] = append(byLen[len(k)], k)
			}
		}
	}
	return byLen
})

// plainChunk is how many nodes (or content slots) are allocated at once.
// A group's nodes are dropped once its servers are decoded, so the next
// group reuses them (reset): a load allocates a few chunks, not 25 MB of
// nodes at 10,000 servers.
const plainChunk = 256

// slab hands out values of T from chunks it keeps until reset.
type slab[T any] struct {
	chunks [][]T
	chunk  int // the chunk being handed out
	used   int // of it
}

// take is n contiguous values, not zeroed.
func (s *slab[T]) take(n int) []T {
	if s.chunk < len(s.chunks) && s.used+n > len(s.chunks[s.chunk]) {
		s.chunk, s.used = s.chunk+1, 0
	}
	if s.chunk == len(s.chunks) {
		s.chunks = append(s.chunks, nil)
	}
	if len(s.chunks[s.chunk]) < n {
		s.chunks[s.chunk] = make([]T, max(plainChunk, n))
	}
	v := s.chunks[s.chunk][s.used : s.used+n : s.used+n]
	s.used += n
	return v
}

// reset makes every value handed out free to be handed out again.
func (s *slab[T]) reset() { s.chunk, s.used = 0, 0 }

func (p *plainParser) node() *yaml.Node { return &p.nodes.take(1)[0] }

// content moves the children pushed since base into a slice of their own.
func (p *plainParser) content(base int) []*yaml.Node {
	c := p.ptrs.take(len(p.stack) - base)
	copy(c, p.stack[base:])
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return c
}
