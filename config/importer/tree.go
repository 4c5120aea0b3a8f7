package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/mcpwatch/mcpwatch/config"
)

// Both input formats are read into the same small tree, each node carrying
// the position it came from, so the two importers share one walker and
// every message can name file:line:col. The YAML parser gives positions
// directly; for JSON they come from encoding/json byte offsets.

type kind int

const (
	kNull kind = iota
	kString
	kNumber
	kBool
	kMap
	kList
)

type node struct {
	kind  kind
	text  string // scalars: the value as written (numbers and booleans keep their spelling)
	pos   config.Position
	keys  []member // kMap, in file order
	items []*node  // kList
}

type member struct {
	key    string
	keyPos config.Position
	val    *node
}

func (n *node) kindName() string {
	if n == nil {
		return "nothing"
	}
	switch n.kind {
	case kString:
		return "a string"
	case kNumber:
		return "a number"
	case kBool:
		return "a boolean"
	case kMap:
		return "a mapping"
	case kList:
		return "a list"
	default:
		return "nothing"
	}
}

// get returns the member for key, or nil.
func (n *node) get(key string) *member {
	if n == nil || n.kind != kMap {
		return nil
	}
	for i := range n.keys {
		if n.keys[i].key == key {
			return &n.keys[i]
		}
	}
	return nil
}

// scalar is a scalar's text; a null counts as absent.
func (n *node) scalar() (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.kind {
	case kString, kNumber, kBool:
		return n.text, true
	}
	return "", false
}

// maxDepth bounds nesting in either format: no config needs more, and the
// tree builders recurse.
const maxDepth = 64

// ---- YAML ----

// parseYAML reads a YAML document into a tree. Problems come back as
// config.Errors with the parser's position.
func parseYAML(name string, data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	// The parser's time and memory explode on some shapes (deep "- - -",
	// thousands of keys in one mapping); a config's limits keep them out.
	if err := config.CheckYAMLShape(name, data); err != nil {
		return nil, err
	}
	f, err := parseYAMLFile(data)
	if err != nil {
		return nil, config.Errors{yamlSyntaxError(name, err)}
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return nil, config.Errors{{Pos: yamlPos(name, doc.Body), Msg: "a second YAML document", Hint: "import one document at a time; remove everything after ---"}}
		}
		body = doc.Body
	}
	b := &yamlBuilder{name: name, anchors: map[string]*node{}}
	root := b.build(body, 0)
	if root.pos.Line == 0 {
		root.pos = config.Position{File: name, Line: 1, Col: 1}
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return root, nil
}

func parseYAMLFile(data []byte) (f *ast.File, err error) {
	// The parser has panicked on hostile input before; an import must
	// fail with a message, not a stack trace.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, errors.New("the YAML parser failed on this file")
		}
	}()
	return parser.ParseBytes(data, 0)
}

func yamlSyntaxError(name string, err error) *config.Error {
	e := &config.Error{Pos: config.Position{File: name}, Msg: "invalid YAML", Hint: "fix the syntax; the file must be a LiteLLM proxy config.yaml"}
	var ye yaml.Error
	if errors.As(err, &ye) {
		if msg := strings.TrimSpace(ye.GetMessage()); msg != "" {
			e.Msg += ": " + config.EscapeControls(msg)
		}
		if t := ye.GetToken(); t != nil && t.Position != nil && t.Position.Line > 0 {
			e.Pos = config.Position{File: name, Line: t.Position.Line, Col: t.Position.Column}
		}
		return e
	}
	e.Msg += ": " + config.EscapeControls(err.Error())
	return e
}

func yamlPos(name string, n ast.Node) config.Position {
	if isNilNode(n) {
		return config.Position{File: name}
	}
	// A block mapping's token is its first ':'; readers look at the first key.
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0] != nil && !isNilNode(m.Values[0].Key) {
		n = m.Values[0].Key
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return config.Position{File: name}
	}
	return config.Position{File: name, Line: t.Position.Line, Col: t.Position.Column}
}

type yamlBuilder struct {
	name    string
	anchors map[string]*node // the latest anchor of each name seen so far
	errs    config.Errors
}

func (b *yamlBuilder) errorf(pos config.Position, msg, hint string) {
	b.errs = append(b.errs, &config.Error{Pos: pos, Msg: msg, Hint: hint})
}

// build converts in document order, so an alias finds the latest anchor
// defined before it, as YAML says. Aliases share the converted node, so a
// chain of aliases costs nothing extra.
func (b *yamlBuilder) build(n ast.Node, depth int) *node {
	if isNilNode(n) {
		return &node{kind: kNull}
	}
	pos := yamlPos(b.name, n)
	if depth > maxDepth {
		b.errorf(pos, fmt.Sprintf("nested more than %d levels deep", maxDepth), "a LiteLLM config never needs this")
		return &node{kind: kNull, pos: pos}
	}
	switch v := n.(type) {
	case *ast.TagNode:
		return b.build(v.Value, depth+1)
	case *ast.MappingKeyNode:
		return b.build(v.Value, depth+1)
	case *ast.AnchorNode:
		out := b.build(v.Value, depth+1)
		if !isNilNode(v.Name) {
			if t := v.Name.GetToken(); t != nil {
				b.anchors[t.Value] = out
			}
		}
		return out
	case *ast.AliasNode:
		name := ""
		if !isNilNode(v.Value) {
			if t := v.Value.GetToken(); t != nil {
				name = t.Value
			}
		}
		if a, ok := b.anchors[name]; ok {
			return a
		}
		b.errorf(pos, fmt.Sprintf("unknown alias *%s", name), fmt.Sprintf("define it first with &%s", name))
		return &node{kind: kNull, pos: pos}
	case *ast.NullNode:
		return &node{kind: kNull, pos: pos}
	case *ast.StringNode:
		return &node{kind: kString, text: v.Value, pos: pos}
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &node{kind: kString, text: s, pos: pos}
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return &node{kind: kNumber, text: tokenText(n), pos: pos}
	case *ast.BoolNode:
		return &node{kind: kBool, text: tokenText(n), pos: pos}
	case *ast.MappingValueNode:
		return b.mapping(pos, []*ast.MappingValueNode{v}, depth)
	case *ast.MappingNode:
		return b.mapping(pos, v.Values, depth)
	case *ast.SequenceNode:
		out := &node{kind: kList, pos: pos}
		for _, item := range v.Values {
			out.items = append(out.items, b.build(item, depth+1))
		}
		return out
	default:
		b.errorf(pos, "unsupported YAML node", "")
		return &node{kind: kNull, pos: pos}
	}
}

// mapping keeps keys in file order and expands << merge keys; keys
// written in the mapping win over merged ones.
func (b *yamlBuilder) mapping(pos config.Position, values []*ast.MappingValueNode, depth int) *node {
	out := &node{kind: kMap, pos: pos}
	seen := map[string]bool{}
	var merged []member
	for _, mv := range values {
		if mv == nil || isNilNode(mv.Key) {
			continue
		}
		if mv.Key.IsMergeKey() {
			src := b.build(mv.Value, depth+1)
			srcs := []*node{src}
			if src.kind == kList {
				srcs = src.items
			}
			for _, s := range srcs {
				if s.kind != kMap {
					b.errorf(s.pos, "<< merges mappings only, got "+s.kindName(), "")
					continue
				}
				merged = append(merged, s.keys...)
			}
			continue
		}
		kp := yamlPos(b.name, mv.Key)
		k := b.build(mv.Key, depth+1)
		key, ok := k.scalar()
		if !ok {
			b.errorf(kp, "keys must be plain strings, got "+k.kindName(), "")
			continue
		}
		seen[key] = true
		val := b.build(mv.Value, depth+1)
		if val.pos.Line == 0 {
			val.pos = kp
		}
		out.keys = append(out.keys, member{key: key, keyPos: kp, val: val})
	}
	for _, m := range merged {
		if !seen[m.key] {
			seen[m.key] = true
			out.keys = append(out.keys, m)
		}
	}
	return out
}

func tokenText(n ast.Node) string {
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

func isNilNode(n ast.Node) bool {
	if n == nil {
		return true
	}
	// goccy returns typed nil pointers in odd input; GetToken would
	// dereference them.
	switch v := n.(type) {
	case *ast.MappingNode:
		return v == nil
	case *ast.MappingValueNode:
		return v == nil
	case *ast.SequenceNode:
		return v == nil
	case *ast.StringNode:
		return v == nil
	case *ast.AnchorNode:
		return v == nil
	case *ast.AliasNode:
		return v == nil
	case *ast.TagNode:
		return v == nil
	case *ast.NullNode:
		return v == nil
	}
	return false
}

// ---- JSON ----

// parseJSON reads one JSON value into a tree. encoding/json reports byte
// offsets; they are turned into line:col here, and the common ways a
// hand-edited .mcp.json goes wrong (comments, trailing commas) get a hint.
func parseJSON(name string, data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	lc := newLineCounter(name, data)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, config.Errors{{Pos: config.Position{File: name}, Msg: "empty file", Hint: `expected a JSON object like {"mcpServers": {…}}`}}
	}
	// A full decode first: it finds every syntax error, including
	// trailing garbage, with an offset, before the token walk below.
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at := max(int(se.Offset)-1, 0)
			hint := jsonHint(data, at)
			if int(se.Offset) >= len(data) {
				hint = "the file ends too early; check for a missing } or ]"
			}
			return nil, config.Errors{{Pos: lc.pos(at), Msg: "invalid JSON: " + se.Error(), Hint: hint}}
		}
		return nil, config.Errors{{Pos: config.Position{File: name}, Msg: "invalid JSON: " + err.Error()}}
	}
	w := &jsonWalker{data: data, lc: lc, dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	root := w.value(0)
	if len(w.errs) > 0 {
		return nil, w.errs
	}
	return root, nil
}

// jsonHint explains the usual hand-editing mistakes at offset at.
func jsonHint(data []byte, at int) string {
	rest := data[at:]
	switch {
	case bytes.HasPrefix(rest, []byte("//")) || bytes.HasPrefix(rest, []byte("/*")):
		return "JSON has no comments; remove them (JSONC files from VS Code need their comments stripped)"
	case rest[0] == '}' || rest[0] == ']':
		return "JSON allows no trailing comma before } or ]; remove the comma"
	case rest[0] == '\'':
		return `JSON strings use double quotes: "…"`
	}
	return `expected a JSON object like {"mcpServers": {"name": {"url": "…"}}}`
}

type jsonWalker struct {
	data []byte
	lc   *lineCounter
	dec  *json.Decoder
	errs config.Errors
}

// start is where the next token begins: InputOffset points just past the
// previous token, before any whitespace, ',' or ':'.
func (w *jsonWalker) start() int {
	i := int(w.dec.InputOffset())
	for i < len(w.data) && strings.IndexByte(" \t\r\n,:", w.data[i]) >= 0 {
		i++
	}
	return i
}

func (w *jsonWalker) value(depth int) *node {
	at := w.start()
	pos := w.lc.pos(at)
	tok, err := w.dec.Token()
	if err != nil {
		w.errs = append(w.errs, &config.Error{Pos: pos, Msg: "invalid JSON: " + err.Error()})
		return &node{kind: kNull, pos: pos}
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth > maxDepth {
			w.errs = append(w.errs, &config.Error{Pos: pos, Msg: fmt.Sprintf("nested more than %d levels deep", maxDepth)})
			// Skip the rest: Unmarshal already accepted the syntax.
			w.skip()
			return &node{kind: kNull, pos: pos}
		}
		if t == '{' {
			return w.object(pos, depth)
		}
		out := &node{kind: kList, pos: pos}
		for w.dec.More() {
			out.items = append(out.items, w.value(depth+1))
		}
		_, _ = w.dec.Token() // ']'
		return out
	case string:
		return &node{kind: kString, text: t, pos: pos}
	case json.Number:
		return &node{kind: kNumber, text: t.String(), pos: pos}
	case bool:
		return &node{kind: kBool, text: strconv.FormatBool(t), pos: pos}
	default:
		return &node{kind: kNull, pos: pos}
	}
}

func (w *jsonWalker) object(pos config.Position, depth int) *node {
	out := &node{kind: kMap, pos: pos}
	seen := map[string]config.Position{}
	for w.dec.More() {
		kp := w.lc.pos(w.start())
		tok, err := w.dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			w.errs = append(w.errs, &config.Error{Pos: kp, Msg: "invalid JSON: expected an object key"})
			return out
		}
		val := w.value(depth + 1)
		if first, dup := seen[key]; dup {
			// encoding/json and most editors keep the last one silently;
			// an import should not guess which was meant.
			w.errs = append(w.errs, &config.Error{Pos: kp, Msg: fmt.Sprintf("duplicate key %q", key),
				Hint: fmt.Sprintf("first defined at line %d; keep one", first.Line)})
			continue
		}
		seen[key] = kp
		out.keys = append(out.keys, member{key: key, keyPos: kp, val: val})
	}
	_, _ = w.dec.Token() // '}'
	return out
}

func (w *jsonWalker) skip() {
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
}

// lineCounter turns byte offsets into 1-based line and column (in runes,
// as editors count them).
type lineCounter struct {
	name   string
	data   []byte
	starts []int // byte offset of each line start
}

func newLineCounter(name string, data []byte) *lineCounter {
	lc := &lineCounter{name: name, data: data, starts: []int{0}}
	for i, c := range data {
		if c == '\n' {
			lc.starts = append(lc.starts, i+1)
		}
	}
	return lc
}

func (lc *lineCounter) pos(off int) config.Position {
	off = min(max(off, 0), len(lc.data))
	// Binary search for the last line start <= off.
	lo, hi := 0, len(lc.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if lc.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	col := utf8.RuneCount(lc.data[lc.starts[lo]:off]) + 1
	return config.Position{File: lc.name, Line: lo + 1, Col: col}
}
