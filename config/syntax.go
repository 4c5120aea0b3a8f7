package config

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// A file yaml.v3 cannot parse is parsed again by goccy/go-yaml (the
// importer's parser) for the error: yaml.v3 says only a line, and for most
// parser errors the line where the enclosing construct starts, while goccy
// points at the token with line and column. This costs goccy's time and
// memory, which is why the config is not parsed with it, only for a file
// that is broken, and after the same shape checks as the importer's input.
// When goccy finds no error, or fails itself, yaml.v3's message and line
// are used.

// syntaxError describes err, yaml.v3's error for data.
func (d *decoder) syntaxError(err error, data []byte) *Error {
	if e := d.goccyError(data); e != nil {
		return e
	}
	e := &Error{Pos: Position{File: d.name}, Msg: "invalid YAML"}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil && line > 0 {
				e.Pos.Line, msg = line, after
			}
		}
	}
	if msg = strings.TrimSpace(msg); msg != "" {
		e.Msg += ": " + EscapeControls(msg)
	}
	d.envRefHint(e, data)
	return e
}

// goccyError is goccy's error for data, with its message and position but
// without its source excerpt and Go type names, or a shape error, or nil.
func (d *decoder) goccyError(data []byte) *Error {
	tokens, e := d.tokenize(data) // preflight.go
	if e != nil {
		return e
	}
	err := goccyParse(tokens)
	var ye goccy.Error
	if err == nil || !errors.As(err, &ye) {
		return nil
	}
	t := ye.GetToken()
	if t == nil || t.Position == nil || t.Position.Line < 1 {
		return nil
	}
	e = &Error{Pos: Position{File: d.name, Line: t.Position.Line, Col: t.Position.Column}, Msg: "invalid YAML"}
	if msg := strings.TrimSpace(ye.GetMessage()); msg != "" {
		e.Msg += ": " + EscapeControls(msg)
	}
	d.envRefHint(e, data)
	return e
}

// goccyParse parses with duplicate keys allowed (as yaml.v3 does) and turns
// a parser panic into an error.
func goccyParse(tokens token.Tokens) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errParserPanic
		}
	}()
	_, err = parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	return err
}

// envRefHint: { and } are flow indicators, so an unquoted ${NAME} inside
// {…} or […] breaks the parse with a message about commas.
func (d *decoder) envRefHint(e *Error, data []byte) {
	if e.Pos.Line > 0 && bytes.Contains(lineOf(data, e.Pos.Line), []byte("${")) {
		e.Hint = `inside {…} or […], quote env references: "${NAME}"`
	}
}
