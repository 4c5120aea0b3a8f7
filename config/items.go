package config

import (
	"bytes"
	"errors"
	"io"

	"go.yaml.in/yaml/v3"
)

// Reading the servers: list an item at a time (split.go says why and
// when). One yaml.v3 Decoder reads a stream made of the file's lines before
// servers: (so that anchors defined there are known, as yaml.v3 keeps
// anchors from one document to the next) and then the items' lines,
// itemsPerDoc to a document, each document after a "---" line. Each piece
// is checked on the parser's output to be what the whole file's parse
// would hold there; anything else, or any parse error, makes Parse parse
// the file whole, which says what is wrong and where.

// decodeByItem decodes data as split by sp. false: parse it whole instead
// (what d holds is then to be dropped).
func (d *decoder) decodeByItem(data []byte, sp serverSplit) (*File, bool) {
	body, err := d.parseYAML(skeleton(data, sp))
	if err != nil || !serversKeyAt(body, sp.keyLine) {
		return nil, false
	}
	d.data = data
	r := &itemReader{sp: sp, d: d}
	if d.checkTreeFrom(body, 0, &r.tokens) != nil {
		return nil, false
	}
	// Groups are read alone when no anchor is defined in the list or after
	// it; aliases in plainly written items then name anchors above it.
	r.alone = !mayHoldAnchor(data[sp.regionOff:])
	if r.alone && mayHoldAnchor(data[:sp.keyOff]) {
		r.plain.anchors = map[string]anchor{}
		anchorsBefore(body, sp.keyLine, r.plain.anchors)
	}
	if !r.alone {
		r.startStream()
	}
	f := d.decodeFile(body, r)
	// Items after the last one decoded (decoding stops at maxErrors) are
	// still parsed: a syntax error there is the file's answer.
	for r.next < len(sp.items) {
		if _, ok := r.item(); !ok {
			return nil, false
		}
	}
	if r.failed {
		return nil, false
	}
	if r.dec != nil {
		var doc yaml.Node
		if !errors.Is(decodeNode(r.dec, &doc), io.EOF) {
			return nil, false
		}
	}
	if byItemRead != nil {
		byItemRead(r.read)
	}
	return f, true
}

// itemsRead counts a file's items by how they were parsed.
type itemsRead struct{ plain, alone, stream int }

// byItemRead is set by this package's tests only, to see how a file's
// items were read.
var byItemRead func(itemsRead)

// mayHoldAnchor reports whether data may define a YAML anchor: an "&" at
// the start of a node. One after a letter or a digit ("?a=1&b=2") is
// inside a scalar.
func mayHoldAnchor(data []byte) bool {
	for i := 0; i < len(data); i++ {
		i += max(0, bytes.IndexByte(data[i:], '&'))
		if i >= len(data) || data[i] != '&' {
			return false
		}
		if i == 0 || !isAlnum(data[i-1]) {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// serversKeyAt reports whether the first key of the top-level mapping that
// reads "servers" is the plain one at line:1 with no value (the skeleton's
// blanked list), as splitServers found it.
func serversKeyAt(body *yaml.Node, line int) bool {
	if !isMapping(body) || isFlow(body) {
		return false
	}
	for i := 0; i+1 < len(body.Content); i += 2 {
		k, v := body.Content[i], body.Content[i+1]
		if k.Kind == yaml.AliasNode {
			return false // it may read servers
		}
		if k.Kind != yaml.ScalarNode || k.Value != "servers" {
			continue
		}
		return k.Line == line && k.Column == 1 && k.Style == 0 && k.Tag == "!!str" &&
			v.Kind == yaml.ScalarNode && v.Tag == tagNull && v.Value == "" && v.Anchor == "" && v.Style == 0
	}
	return false
}

// itemsPerDoc is how many items each document of the stream holds: each
// document costs yaml.v3 about ten allocations of its own, and 64 servers'
// nodes are a few hundred KB.
const itemsPerDoc = 64

// itemReader hands out the list's items in order, each checked and with
// the file's lines; failed once one is not what the whole file holds there.
//
// A file that defines no anchor has nothing one document of the stream
// could take from another (directives are never split): its groups of
// items are then read alone, each by plainItem (plain.go) where it can,
// else by a yaml.v3 Decoder of its own.
type itemReader struct {
	d      *decoder
	sp     serverSplit
	dec    *yaml.Decoder // the stream, once started
	base   int           // the stream's first item
	alone  bool
	plain  plainParser
	read   itemsRead
	next   int          // the item item returns next
	parsed []*yaml.Node // items parsed and not yet returned
	tokens int          // counted by the shape check, the skeleton's included
	failed bool
}

// item is the next item's node.
func (r *itemReader) item() (*yaml.Node, bool) {
	if r.failed || r.next >= len(r.sp.items) {
		r.failed = true
		return nil, false
	}
	if len(r.parsed) == 0 && !r.parseDoc() {
		r.failed = true
		return nil, false
	}
	n := r.parsed[0]
	r.parsed = r.parsed[1:]
	r.next++
	return n, true
}

// parseDoc parses the document of items next to next+itemsPerDoc into
// r.parsed. The stream (itemStream) holds the lines before servers: as they
// are, a "---" where servers: is, and each document's items after one more
// "---" line than the file has before them. A document is taken when its
// list starts at the first item's "-" and has as many items as the file
// has "-" lines at that column: each such line starts an item to yaml.v3
// unless it is inside a quoted scalar or brackets, and then fewer are seen.
func (r *itemReader) parseDoc() bool {
	items := r.sp.items[r.next:min(r.next+itemsPerDoc, len(r.sp.items))]
	if r.alone {
		return r.parseAlone(items)
	}
	first := r.sp.keyLine + 1 // the stream line of item base
	at := first + items[0].line - r.sp.items[r.base].line + (r.next-r.base)/itemsPerDoc
	for {
		var doc yaml.Node
		if decodeNode(r.dec, &doc) != nil || len(doc.Content) != 1 {
			return false
		}
		root := doc.Content[0]
		if r.next == r.base && root.Line < first {
			continue // a document of the lines before servers:
		}
		if root.Kind != yaml.SequenceNode || isFlow(root) || root.Line != at || root.Column != r.sp.col+1 ||
			len(root.Content) != len(items) || root.Anchor != "" || root.Tag != "!!seq" || root.Style != 0 {
			return false
		}
		shiftLines(root, items[0].line-at)
		// In the file the items are two block levels deep (the top
		// mapping, the list); here the list is the document.
		if r.d.checkTreeFrom(root, 1, &r.tokens) != nil {
			return false
		}
		r.read.stream += len(items)
		r.parsed = root.Content
		return true
	}
}

// startStream starts the stream at item next, a group's first.
func (r *itemReader) startStream() {
	r.base = r.next
	r.dec = yaml.NewDecoder(&itemStream{data: r.d.data, sp: r.sp, next: r.next})
}

// parseAlone parses items, a group read alone: each by plainItem, or if
// one of them cannot be, all by a yaml.v3 Decoder of their own, whose
// document must be the list they make, as in parseDoc.
func (r *itemReader) parseAlone(items []itemSpan) bool {
	data := r.d.data
	root := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: items[0].line, Column: r.sp.col + 1,
		Content: make([]*yaml.Node, 0, len(items))}
	// The previous group's servers are decoded: its nodes are free.
	r.plain.reset()
	r.plain.interned = r.d.interned
	counter := &r.read.plain
	for _, it := range items {
		n, ok := r.plain.plainItem(data[it.off:it.end], it.line)
		if !ok {
			root = nil
			break
		}
		root.Content = append(root.Content, n)
	}
	if root == nil && r.plain.anchors != nil {
		// Its aliases may name anchors above the list: the stream from here.
		r.alone = false
		r.startStream()
		return r.parseDoc()
	}
	if root == nil {
		// The stream: "---", then the items (no lines before them).
		dec := yaml.NewDecoder(&itemStream{data: data, sp: serverSplit{items: items}})
		var doc, end yaml.Node
		if decodeNode(dec, &doc) != nil || len(doc.Content) != 1 || !errors.Is(decodeNode(dec, &end), io.EOF) {
			return false
		}
		root = doc.Content[0]
		if root.Kind != yaml.SequenceNode || isFlow(root) || root.Line != 2 || root.Column != r.sp.col+1 ||
			len(root.Content) != len(items) || root.Anchor != "" || root.Tag != "!!seq" || root.Style != 0 {
			return false
		}
		shiftLines(root, items[0].line-2)
		counter = &r.read.alone
	}
	if r.d.checkTreeFrom(root, 1, &r.tokens) != nil {
		return false
	}
	*counter += len(items)
	r.parsed = root.Content
	return true
}

// shiftLines adds by to the line of n and of every node under it. Aliases
// are not followed: their anchors are in the stream before them, and
// already shifted.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		if c != nil {
			shiftLines(c, by)
		}
	}
}

// itemStream is the stream itemReader parses: data before servers:, then
// for every itemsPerDoc items "---" and their lines (ended by a line feed).
type itemStream struct {
	data []byte
	sp   serverSplit
	next int    // the item to send after pending
	pend []byte // what is left of the piece being sent
	sep  bool   // item next may need a "---" before it
	done bool   // the prefix was sent
}

var docStart = []byte("---\n")

func (s *itemStream) Read(p []byte) (int, error) {
	for len(s.pend) == 0 {
		switch {
		case !s.done:
			s.done, s.sep, s.pend = true, true, s.data[:s.sp.keyOff]
		case s.next >= len(s.sp.items):
			return 0, io.EOF
		case s.sep && s.next%itemsPerDoc == 0:
			s.sep, s.pend = false, docStart
		default:
			it := s.sp.items[s.next]
			s.pend = s.data[it.off:it.end]
			s.next++
			s.sep = true
			if len(s.pend) > 0 && s.pend[len(s.pend)-1] != '\n' {
				s.pend = append(s.pend[:len(s.pend):len(s.pend)], '\n') // the file's last line
			}
		}
	}
	n := copy(p, s.pend)
	s.pend = s.pend[n:]
	return n, nil
}
