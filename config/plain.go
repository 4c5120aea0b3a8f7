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
		if bytes.IndexByte(text, '\r') >= 0 {
			return nil, false // a lone CR ends a line for YAML (splitServers declines such files too)
		}
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

func (p *plainParser) node() *yaml.Node { return &p.nodes.take(1)[0] }

// content moves the children pushed since base into a slice of their own.
func (p *plainParser) content(base int) []*yaml.Node {
	c := p.ptrs.take(len(p.stack) - base)
	copy(c, p.stack[base:])
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return c
}
