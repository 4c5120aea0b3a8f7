package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file adapts yaml.v3's node tree to what the decoder needs: plain
// mappings, lists and scalars with positions. Aliases are looked through
// (the parser has already linked each to its anchor), and every accessor
// tolerates nil, because Parse must never panic.

// maxMergeDepth bounds "<<" merges of merges; a self-referencing anchor
// would otherwise recurse forever.
const maxMergeDepth = 8

// Resolved scalar tags, as yaml.v3 spells them.
const (
	tagNull  = "!!null"
	tagBool  = "!!bool"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagMerge = "!!merge"
)

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == tagNull
}

func isMapping(n *yaml.Node) bool  { return n != nil && n.Kind == yaml.MappingNode }
func isSequence(n *yaml.Node) bool { return n != nil && n.Kind == yaml.SequenceNode }
func isFlow(n *yaml.Node) bool     { return n.Style&yaml.FlowStyle != 0 }

// kindOf names a node's kind the way an operator would say it.
func kindOf(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "an unsupported YAML node"
	}
	switch n.Tag {
	case tagInt:
		return "an integer"
	case tagFloat:
		return "a number"
	case tagBool:
		return "a boolean"
	}
	return "a string"
}

// scalarText is the text of a scalar. Non-string scalars keep their source
// spelling, so client_id: 0123 stays "0123" rather than becoming 123.
func scalarText(n *yaml.Node) (string, bool) {
	if isNull(n) || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// boolValue is a !!bool scalar's value (true, True or TRUE is true).
func boolValue(n *yaml.Node) bool { return strings.EqualFold(n.Value, "true") }

// pos is where a reader would look for n.
func (d *decoder) pos(n *yaml.Node) Position {
	if n == nil || n.Line == 0 {
		return Position{File: d.name}
	}
	return Position{File: d.name, Line: n.Line, Col: n.Column}
}

// unwrap looks through aliases; yaml.v3 resolves each to the last anchor of
// its name before it, as YAML says. An unknown alias (alias.go) is reported
// at path and yields nil.
func (d *decoder) unwrap(n *yaml.Node, path string) *yaml.Node {
	if d.unknownAlias(n, path) {
		return nil
	}
	// Bounded: the parser never links an alias to an alias, but a tree
	// built by hand might.
	for range 16 {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return nil
}
