package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mcpwatch/mcpwatch/textsafe"
)

// Position is a place in a config file. Line and Col are 1-based; a zero
// Line means "no position" (programmatic servers).
type Position struct {
	File      string
	Line, Col int
}

// String renders "file:line:col", dropping the parts that are unknown.
func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

func (p Position) before(q Position) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Warning is something that loads but is probably not what the operator
// wants (a literal secret, slow >= timeout).
type Warning struct {
	Pos  Position
	Path string // field path, e.g. servers[0].auth.client_secret
	Msg  string
}

func (w Warning) String() string { return join(w.Pos, w.Path, w.Msg, "") }

// Error is one problem in a config: where, which field, what is wrong, and
// (in Hint) what would be valid.
type Error struct {
	Pos  Position
	Path string
	Msg  string
	Hint string
}

func (e *Error) Error() string { return join(e.Pos, e.Path, e.Msg, e.Hint) }

// join renders a problem on one line. Paths, messages and hints quote the
// file (an unknown key, a value, the file's own name), so each part goes
// through textsafe.Line: no escape sequence, C1 or bidi control reaches the
// terminal, and no newline starts a line that looks like another error.
func join(pos Position, path, msg, hint string) string {
	var b strings.Builder
	if p := textsafe.Line(pos.String(), 0); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if path = textsafe.Line(path, 0); path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	b.WriteString(textsafe.Line(msg, 0))
	if hint = textsafe.Line(hint, 0); hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	return b.String()
}

// Errors is every problem found in one config. Load and Parse return all of
// them at once so a file can be fixed in one pass.
type Errors []*Error

// Error prints one error per line, in file order.
func (es Errors) Error() string {
	sorted := append(Errors(nil), es...)
	sortErrors(sorted)
	lines := make([]string, len(sorted))
	for i, e := range sorted {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortErrors orders by position; errors without one keep their order.
func sortErrors(es Errors) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Pos.before(es[j].Pos) })
}

func sortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Pos.before(ws[j].Pos) })
}

// orNil returns nil for an empty list, so callers never see a non-nil
// error interface holding zero errors.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	sortErrors(es)
	return es
}
