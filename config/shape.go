package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// checkTree holds the parsed file to the shape limits of preflight.go:
// tokens, block nesting, bracket nesting and keys per block mapping.
// yaml.v3's own time and memory grow with the file (its scanner stops
// brackets and indentation at 10,000 levels), so these are checked after
// parsing; they keep what the decoder is given far from what its work and
// error limits exist for, and say what is wrong where it is. Aliases are
// not followed: they are counted once here, and each use is counted by
// the decoder's spend.
func (d *decoder) checkTree(root *yaml.Node) *Error {
	tokens := 0
	return d.checkTreeFrom(root, 0, &tokens)
}

// checkTreeFrom is checkTree for a part of the file (items.go) that is
// block levels deep in it, adding its tokens to *tokens.
func (d *decoder) checkTreeFrom(root *yaml.Node, block int, tokens *int) *Error {
	if root == nil {
		return nil
	}
	at := func(n *yaml.Node) Position { return Position{File: d.name, Line: n.Line, Col: n.Column} }
	// One stack serves every item of a list read by item.
	stack := append(d.shapeStack[:0], shapeFrame{n: root, block: block})
	defer func() { d.shapeStack = stack[:0] }()
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := f.n
		// Counted as goccy's lexer counts tokens, in document order: a
		// scalar or an alias is one, a flow collection two (its brackets),
		// a block collection none; a "-", "," or ":" is counted with the
		// node after it.
		*tokens += f.sep
		switch {
		case n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode:
			*tokens++
		case isFlow(n):
			*tokens += 2
		}
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			if isFlow(n) {
				*tokens++
				if f.flow++; f.flow > maxFlowDepth {
					return &Error{Pos: at(n), Msg: fmt.Sprintf("brackets nested more than %d deep", maxFlowDepth),
						Hint: "a config never needs this; check for unbalanced [ or {"}
				}
			} else if f.block++; f.block > maxNesting {
				return &Error{Pos: at(n), Msg: fmt.Sprintf("lists and mappings nested more than %d deep", maxNesting),
					Hint: "a config never needs this; check the indentation"}
			}
			if n.Kind == yaml.MappingNode && !isFlow(n) && len(n.Content) > 2*maxMappingKeys {
				return &Error{Pos: at(n.Content[2*maxMappingKeys]),
					Msg:  fmt.Sprintf("more than %d keys in one mapping (it starts at line %d)", maxMappingKeys, n.Line),
					Hint: "a config never needs this many; check the indentation"}
			}
		}
		if *tokens > maxTokens {
			pos := at(n)
			if f.item {
				pos = d.itemPos(n) // at its "-"
			}
			return &Error{Pos: pos, Msg: fmt.Sprintf("more than %d YAML tokens (a list item, a key, a value or a bracket each)", maxTokens),
				Hint: tooManyTokensHint}
		}
		// Pushed in reverse so nodes are visited in document order.
		for i := len(n.Content) - 1; i >= 0; i-- {
			c := n.Content[i]
			if c == nil {
				continue
			}
			sep := 0
			switch {
			case n.Kind == yaml.MappingNode && i%2 == 1: // ":"
				sep = 1
			case n.Kind == yaml.SequenceNode && !isFlow(n): // "-"
				sep = 1
			case isFlow(n) && i > 0 && (n.Kind == yaml.SequenceNode || i%2 == 0): // ","
				sep = 1
			}
			stack = append(stack, shapeFrame{c, f.block, f.flow, sep, n.Kind == yaml.SequenceNode && !isFlow(n)})
		}
	}
	return nil
}

// shapeFrame is a node checkTreeFrom has yet to visit.
type shapeFrame struct {
	n           *yaml.Node
	block, flow int // collections of each style this node is in, itself included
	sep         int // tokens that come before it: its "-", "," or ":"
	item        bool
}
