package config

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/goccy/go-yaml/ast"
)

// This file adapts goccy/go-yaml's AST to what the decoder needs: plain
// mappings, lists and scalars with positions. Tags, anchors and aliases are
// looked through, and every accessor tolerates the nil fields the parser
// leaves in odd input, because Parse must never panic.

// maxMergeDepth bounds "<<" merges of merges; a self-referencing anchor
// would otherwise recurse forever.
const maxMergeDepth = 8

// isNil reports whether n is nil or a typed nil pointer; goccy's GetToken
// methods dereference their receiver.
func isNil(n ast.Node) bool {
	if n == nil {
		return true
	}
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func isNull(n ast.Node) bool {
	if isNil(n) {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// kindOf names a node's kind the way an operator would say it.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "an integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	default:
		return "an unsupported YAML node"
	}
}

// scalarText is the text of a scalar. Non-string scalars keep their source
// spelling, so client_id: 0123 stays "0123" rather than becoming 123.
func scalarText(n ast.Node) (string, bool) {
	if isNil(n) {
		return "", false
	}
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if t := n.GetToken(); t != nil {
			return t.Value, true
		}
	}
	return "", false
}

// pos is where a reader would look for n. A block mapping's own token is its
// first ':', so the first key is used instead.
func (d *decoder) pos(n ast.Node) Position {
	if m, ok := n.(*ast.MappingNode); ok && m != nil && !m.IsFlowStyle && len(m.Values) > 0 &&
		m.Values[0] != nil && !isNil(m.Values[0].Key) {
		n = m.Values[0].Key
	}
	if isNil(n) {
		return Position{File: d.name}
	}
	if _, ok := n.(*ast.DocumentNode); ok {
		return Position{File: d.name}
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return Position{File: d.name}
	}
	return Position{File: d.name, Line: t.Position.Line, Col: t.Position.Column}
}

// collectAnchors indexes every anchor by name, in document order, so an
// alias can be resolved to the nearest anchor defined before it by a binary
// search (a file may define one name thousands of times). It walks with an
// explicit stack: nesting depth is attacker-controlled.
func collectAnchors(root ast.Node) map[string][]*ast.AnchorNode {
	anchors := map[string][]*ast.AnchorNode{}
	stack := []ast.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if isNil(n) {
			continue
		}
		var children []ast.Node
		switch v := n.(type) {
		case *ast.AnchorNode:
			if !isNil(v.Name) && v.Start != nil && v.Start.Position != nil {
				if t := v.Name.GetToken(); t != nil {
					anchors[t.Value] = append(anchors[t.Value], v)
				}
			}
			children = []ast.Node{v.Value}
		case *ast.TagNode:
			children = []ast.Node{v.Value}
		case *ast.MappingKeyNode:
			children = []ast.Node{v.Value}
		case *ast.MappingNode:
			for _, mv := range v.Values {
				if mv != nil {
					children = append(children, mv.Key, mv.Value)
				}
			}
		case *ast.MappingValueNode:
			children = []ast.Node{v.Key, v.Value}
		case *ast.SequenceNode:
			children = v.Values
		}
		// Push in reverse so nodes pop in document order.
		for i := len(children) - 1; i >= 0; i-- {
			if !isNil(children[i]) {
				stack = append(stack, children[i])
			}
		}
	}
	for _, list := range anchors {
		slices.SortStableFunc(list, func(a, b *ast.AnchorNode) int {
			return cmp.Compare(a.Start.Position.Offset, b.Start.Position.Offset)
		})
	}
	return anchors
}

// unwrap looks through tags, anchors, aliases and explicit "? key" markers.
// An alias that resolves to nothing is reported at path and yields nil.
func (d *decoder) unwrap(n ast.Node, path string) ast.Node {
	// Bounded: alias -> anchor -> tag chains are short in any real file.
	for range 16 {
		if isNil(n) {
			return nil
		}
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		case *ast.AliasNode:
			n = d.resolveAlias(v, path)
		default:
			return n
		}
	}
	return nil
}

func (d *decoder) resolveAlias(a *ast.AliasNode, path string) ast.Node {
	if isNil(a.Value) || a.Start == nil || a.Start.Position == nil {
		return nil
	}
	name := ""
	if t := a.Value.GetToken(); t != nil {
		name = t.Value
	}
	// The last anchor before the alias wins, as YAML says.
	list := d.anchors[name]
	i := sort.Search(len(list), func(i int) bool { return list[i].Start.Position.Offset >= a.Start.Position.Offset })
	var found *ast.AnchorNode
	if i > 0 {
		found = list[i-1]
	}
	if found == nil {
		hint := fmt.Sprintf("define it first with &%s", name)
		if len(d.anchors[name]) > 0 {
			hint = fmt.Sprintf("&%s is defined after this alias; YAML anchors must come first", name)
		}
		d.errorf(d.pos(a), path, fmt.Sprintf("unknown alias *%s", name), hint)
		return nil
	}
	// An alias inside its own anchor resolves to an enclosing node. That
	// cannot loop: decoding follows the fixed schema depth, and merges are
	// bounded by maxMergeDepth.
	return found.Value
}
