package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// DefaultPath is where mcpwatch looks without --config:
// $XDG_CONFIG_HOME/mcpwatch/config.yaml, else ~/.config/mcpwatch/config.yaml.
// The XDG location is used on every OS (not os.UserConfigDir's
// ~/Library/Application Support) because operators copy configs between
// Linux jump hosts and laptops and expect one place.
func DefaultPath() string {
	// The XDG spec says to ignore a relative XDG_CONFIG_HOME.
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "mcpwatch", "config.yaml")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// No home (a bare container): fall back to the working directory
		// rather than fail before the user has asked for anything.
		return filepath.Join(".config", "mcpwatch", "config.yaml")
	}
	return filepath.Join(home, ".config", "mcpwatch", "config.yaml")
}

// Load reads and validates the config file at path. Problems in the file
// come back together as Errors; a file that cannot be read is a plain error
// (wrapping the os error, so errors.Is(err, fs.ErrNotExist) works).
// Warnings are returned even when there are errors.
//
// Only a regular file (or a symlink to one) of at most MaxFileSize bytes is
// read: a directory, device, FIFO or socket is refused before it is read,
// and a FIFO is never waited on. Such errors match boundedfile.ErrNotRegular
// and boundedfile.ErrTooLarge.
func Load(path string) (*File, []Warning, error) {
	data, err := readFile(context.Background(), path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w; create it or pass --config FILE", err)
		}
		return nil, nil, err
	}
	return Parse(path, data)
}

// readFile reads a config file for Load and the Watcher: bounded, regular
// files only, and worded to say what the path is and what to do.
func readFile(ctx context.Context, path string) ([]byte, error) {
	data, err := boundedfile.ReadContext(ctx, path, MaxFileSize)
	if err == nil {
		return data, nil
	}
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err // "is a named pipe (FIFO), not a regular file"
	}
	switch {
	case errors.Is(err, boundedfile.ErrNotRegular):
		return nil, fmt.Errorf("read config: %s %w; give the path of the config file itself (a symlink to one is fine)", path, cause)
	case errors.Is(err, boundedfile.ErrTooLarge):
		return nil, fmt.Errorf("read config: %s %w, the most a config file may hold; is it the right file?", path, cause)
	}
	return nil, fmt.Errorf("read config: %w", err)
}

// Parse validates config data. name is used in positions and as the base
// for relative *_file paths; the returned File is nil when there are errors.
func Parse(name string, data []byte) (*File, []Warning, error) {
	d := &decoder{name: name, locs: map[string]loc{}, reported: map[string]bool{}}
	sum := sha256.Sum256(data)
	if name != "" {
		d.dir = filepath.Dir(name)
	}
	// Editors on Windows save a byte-order mark, which the parser would
	// otherwise read as part of the first key.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))

	tokens, ok := d.preflight(data)
	if !ok {
		return nil, nil, d.errs.orNil()
	}
	file, err := parseYAML(tokens)
	if err != nil {
		d.errs = append(d.errs, d.syntaxError(err, data))
		return nil, nil, d.errs.orNil()
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || isNil(doc.Body) {
			continue
		}
		if body != nil {
			d.errorf(d.pos(doc.Body), "", "a config holds one YAML document", "remove this second document (after ---)")
			break
		}
		body = doc.Body
	}
	if hasAnchors(tokens) { // most files have none, and the walk allocates
		d.anchors = collectAnchors(body)
	}
	f := d.decodeFile(body)
	sortWarnings(d.warns)
	if err := d.errs.orNil(); err != nil {
		return nil, d.warns, err
	}
	f.Digest = sum
	return f, d.warns, nil
}

// parseYAML runs the parser, on tokens that passed preflight, with
// duplicate keys allowed (the decoder reports them with both lines, and
// keeps going) and turns a parser panic into an error: Parse must survive
// any input.
func parseYAML(tokens token.Tokens) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, errParserPanic
		}
	}()
	return parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
}

// hasAnchors reports whether any token defines an anchor (&name).
func hasAnchors(tokens token.Tokens) bool {
	for _, tk := range tokens {
		if tk != nil && tk.Type == token.AnchorType {
			return true
		}
	}
	return false
}

var errParserPanic = errors.New("the YAML parser failed on this file")

// syntaxError keeps the parser's own message and position but drops its
// source excerpt and Go type names.
func (d *decoder) syntaxError(err error, data []byte) *Error {
	// Without a token there is no honest position; name only the file.
	e := &Error{Pos: Position{File: d.name}, Msg: "invalid YAML"}
	var ye yaml.Error
	if errors.As(err, &ye) {
		if msg := strings.TrimSpace(ye.GetMessage()); msg != "" {
			e.Msg += ": " + EscapeControls(msg)
		}
		if t := ye.GetToken(); t != nil && t.Position != nil && t.Position.Line > 0 {
			e.Pos = Position{File: d.name, Line: t.Position.Line, Col: t.Position.Column}
		}
		// { and } are flow indicators, so an unquoted ${NAME} inside
		// {…} or […] breaks the parse with a message about commas.
		if lines := strings.Split(string(data), "\n"); e.Pos.Line > 0 && e.Pos.Line <= len(lines) &&
			strings.Contains(lines[e.Pos.Line-1], "${") {
			e.Hint = `inside {…} or […], quote env references: "${NAME}"`
		}
		return e
	}
	e.Msg += ": " + EscapeControls(err.Error())
	return e
}

// EscapeControls spells out control characters a parser quotes verbatim
// ("found character '\t'"), which are invisible or garble a terminal.
func EscapeControls(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
