package config

import (
	"fmt"
	"unicode/utf8"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// Checks a file passes before and after it is parsed. A config is parsed
// by yaml.v3, whose time and memory grow with the file; size, text and a
// rough token count are checked before it, the shape limits below on its
// tree (shape.go). goccy/go-yaml, which parses the importer's input and
// positions a config's syntax errors (syntax.go), gets the shape limits
// checked on its tokens first (tokenize): its time and memory grow much
// faster than the file for some shapes, measured on v1.19.2 with files
// under 1 MiB: 130,000 keys in one mapping did not finish in a minute (each
// key re-copies the rest of the mapping); 200,000 "- " on one line took
// 10 GB; 35,000 keys of ten nested brackets each 22 s. Each limit below is
// far beyond any real config and ends such a file with one positioned
// error in milliseconds.
const (
	// maxFlowDepth bounds [ and { nesting; 100,000 "[" took over a minute.
	maxFlowDepth = 100
	// maxNesting bounds block lists and mappings nested by indentation or
	// by "- - -" on one line.
	maxNesting = 100
	// maxMappingKeys bounds the keys of one block mapping, where the
	// parser's cost is quadratic. A server has about fifteen.
	maxMappingKeys = 1000
	// maxTokens bounds the YAML tokens (a key, a value, a "-", a bracket)
	// of the whole file: goccy's memory is about 1 KB per token. A
	// server written out in full is 25 to 35 tokens, so this is room for
	// 10,000 servers with shared (anchored) auth, and about 200 MB at most.
	maxTokens = 250_000
	// maxRoughTokens bounds a quick count, made before the file is
	// tokenized, that is at least the real token count (every run of
	// non-blank characters, plus each bracket, comma, colon or quote in it),
	// so that tokenizing itself stays small.
	maxRoughTokens = 2 * maxTokens
)

const tooManyTokensHint = "that is more than 10,000 servers' worth; is it the right file?"

// preflight checks size, encoding and a rough count of tokens, before the
// file is parsed; the shape is checked on the parsed tree (shape.go).
func (d *decoder) preflight(data []byte) bool {
	if len(data) > MaxFileSize {
		line, col := lineCol(data, MaxFileSize)
		d.errorf(Position{File: d.name, Line: line, Col: col}, "",
			fmt.Sprintf("the file is larger than %s, the most a config file may hold", boundedfile.FormatSize(MaxFileSize)),
			"is it the right file?")
		return false
	}
	if e := d.checkText(data); e != nil {
		d.errs = append(d.errs, e)
		return false
	}
	if off, over := roughTokensOver(data, maxRoughTokens); over {
		line, col := lineCol(data, off)
		d.errs = append(d.errs, &Error{Pos: Position{File: d.name, Line: line, Col: col},
			Msg: fmt.Sprintf("more than %d YAML tokens (a list item, a key, a value or a bracket each)", maxTokens), Hint: tooManyTokensHint})
		return false
	}
	return true
}

// CheckYAMLShape holds another YAML file (the importer's input) to the
// limits a config's YAML meets before it is parsed: tokens, nesting, keys
// per mapping. The error is Errors with one positioned Error.
func CheckYAMLShape(name string, data []byte) error {
	d := &decoder{name: name}
	if _, e := d.tokenize(data); e != nil {
		return Errors{e}
	}
	return nil
}

// tokenize counts the tokens roughly, then tokenizes and checks the shape.
func (d *decoder) tokenize(data []byte) (token.Tokens, *Error) {
	if off, over := roughTokensOver(data, maxRoughTokens); over {
		line, col := lineCol(data, off)
		return nil, &Error{Pos: Position{File: d.name, Line: line, Col: col},
			Msg: fmt.Sprintf("more than %d YAML tokens (a list item, a key, a value or a bracket each)", maxTokens), Hint: tooManyTokensHint}
	}
	tokens := lexer.Tokenize(string(data))
	if e := d.checkShape(tokens); e != nil {
		return nil, e
	}
	return tokens, nil
}

// checkText requires UTF-8 text: no invalid bytes, and no control
// characters but tab, line feed and carriage return, as YAML itself says
// (its printable set). Escapes inside double quotes ("\t", "\e") are text
// here; validation judges the values they make.
func (d *decoder) checkText(data []byte) *Error {
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		return &Error{Pos: Position{File: d.name, Line: 1, Col: 1}, Msg: "the file is UTF-16", Hint: "save it as UTF-8"}
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		// Most of a config is printable ASCII: skip it a byte at a time.
		if c := data[i]; c >= 0x20 && c < 0x7f {
			i++
			col++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &Error{Pos: Position{File: d.name, Line: line, Col: col},
				Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02X)", data[i]), Hint: "save the file as UTF-8"}
		case r == '\n':
			line, col = line+1, 0
		case r == '\t' || r == '\r':
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return &Error{Pos: Position{File: d.name, Line: line, Col: col},
				Msg:  fmt.Sprintf("control character U+%04X", r),
				Hint: "a config is text: remove it (only tab, line feed and carriage return may appear as they are)"}
		}
		i += size
		col++
	}
	return nil
}

// lineCol is the 1-based line and column (in characters) of byte off.
func lineCol(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(data); i++ {
		switch {
		case data[i] == '\n':
			line, col = line+1, 1
		case data[i]&0xc0 != 0x80: // not a UTF-8 continuation byte
			col++
		}
	}
	return line, col
}

// roughTokensOver counts what is at least the file's YAML tokens and
// reports the offset where the count passes limit.
func roughTokensOver(data []byte, limit int) (int, bool) {
	n, inRun := 0, false
	for i, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			inRun = false
			continue
		case '[', ']', '{', '}', ',', ':', '"', '\'':
			n++ // may split a run in two, or stand alone
		}
		if !inRun {
			n++
			inRun = true
		}
		if n > limit {
			return i, true
		}
	}
	return 0, false
}

// blockLevel is one open block list or mapping, known by the column of its
// "-" or keys, as the parser knows it.
type blockLevel struct {
	col  int
	seq  bool
	keys int
	line int // where it starts
}

// checkShape walks the tokens the parser will get: the count, flow nesting,
// block nesting and keys per block mapping.
func (d *decoder) checkShape(tokens token.Tokens) *Error {
	at := func(tk *token.Token) Position {
		if tk.Position == nil {
			return Position{File: d.name, Line: 1, Col: 1}
		}
		return Position{File: d.name, Line: tk.Position.Line, Col: tk.Position.Column}
	}
	if len(tokens) > maxTokens {
		return &Error{Pos: at(tokens[maxTokens]),
			Msg:  fmt.Sprintf("more than %d YAML tokens (a list item, a key, a value or a bracket each)", maxTokens),
			Hint: tooManyTokensHint}
	}
	var stack []blockLevel
	flow := 0
	var prev *token.Token // the last token that is not a comment
	// node enters a block list item (seq) or mapping key at col.
	node := func(tk *token.Token, col int, seq bool) *Error {
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			// A deeper level has ended; so has a list at this column
			// when a key follows it ("key:\n- a\nnext: b").
			if top.col > col || top.col == col && top.seq && !seq {
				stack = stack[:len(stack)-1]
				continue
			}
			break
		}
		if n := len(stack); n > 0 && stack[n-1].col == col && stack[n-1].seq == seq {
			if top := &stack[n-1]; !seq {
				if top.keys++; top.keys > maxMappingKeys {
					return &Error{Pos: at(tk), Msg: fmt.Sprintf("more than %d keys in one mapping (it starts at line %d)", maxMappingKeys, top.line),
						Hint: "a config never needs this many; check the indentation"}
				}
			}
			return nil
		}
		line := 0
		if tk.Position != nil {
			line = tk.Position.Line
		}
		stack = append(stack, blockLevel{col: col, seq: seq, keys: 1, line: line})
		if len(stack) > maxNesting {
			return &Error{Pos: at(tk), Msg: fmt.Sprintf("lists and mappings nested more than %d deep", maxNesting),
				Hint: "a config never needs this; check the indentation"}
		}
		return nil
	}
	for _, tk := range tokens {
		if tk == nil {
			continue
		}
		col := 0
		if tk.Position != nil {
			col = tk.Position.Column
		}
		var err *Error
		switch tk.Type {
		case token.CommentType:
			continue
		case token.SequenceStartType, token.MappingStartType:
			if flow++; flow > maxFlowDepth {
				return &Error{Pos: at(tk), Msg: fmt.Sprintf("brackets nested more than %d deep", maxFlowDepth),
					Hint: "a config never needs this; check for unbalanced [ or {"}
			}
		case token.SequenceEndType, token.MappingEndType:
			if flow > 0 {
				flow--
			}
		case token.DocumentHeaderType:
			stack = stack[:0]
		case token.SequenceEntryType, token.MappingKeyType:
			if flow == 0 {
				err = node(tk, col, true)
			}
		case token.MappingValueType:
			if flow == 0 && prev != nil && prev.Position != nil {
				err = node(prev, prev.Position.Column, false)
			}
		}
		if err != nil {
			return err
		}
		prev = tk
	}
	return nil
}
