package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

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
	f, warns, err, _ := parse(name, data, true)
	if parseCheck != nil {
		parseCheck(name, data, f, warns, err)
	}
	return f, warns, err
}

// parseCheck is set by this package's tests only: every Parse they make
// is also checked against the whole-file parse (items_test.go).
var parseCheck func(name string, data []byte, f *File, warns []Warning, err error)

// parse is Parse; with byItem it reads a block-style servers: list an item
// at a time when the file allows it (split.go), and reports whether it did.
// The result is the same either way (items_test.go).
func parse(name string, data []byte, byItem bool) (f *File, warns []Warning, err error, usedByItem bool) {
	sum := sha256.Sum256(data)
	// Editors on Windows save a byte-order mark, which the parser would
	// otherwise read as part of the first key.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))

	d := newDecoder(name)
	if !d.preflight(data) {
		return nil, nil, d.errs.orNil(), false
	}
	if sp, ok := splitServers(data); ok && byItem {
		f, usedByItem = d.decodeByItem(data, sp) // items.go
	}
	if !usedByItem {
		d = newDecoder(name)
		if f = d.decodeWhole(data); f == nil {
			return nil, nil, d.errs.orNil(), false
		}
	}
	sortWarnings(d.warns)
	if err := d.errs.orNil(); err != nil {
		return nil, d.warns, err, usedByItem
	}
	f.Digest = sum
	return f, d.warns, nil, usedByItem
}

func newDecoder(name string) *decoder {
	d := &decoder{name: name, locs: &locTable{}, reported: map[string]bool{}}
	if name != "" {
		d.dir = filepath.Dir(name)
	}
	return d
}

// decodeWhole parses data into one tree and decodes it; nil when it does
// not parse or is over the shape limits (d.errs says why).
func (d *decoder) decodeWhole(data []byte) *File {
	body, e := d.parseTolerant(data) // alias.go
	if e == nil {
		e = d.checkTree(body) // shape.go
	}
	if e != nil {
		d.errs = append(d.errs, e)
		return nil
	}
	return d.decodeFile(body, nil)
}

// parseYAML parses the one document a config holds into yaml.v3's node
// tree, which keeps duplicate keys (the decoder reports them with both
// lines, and keeps going) and links aliases to their anchors. A second
// document with anything in it is an error at its place (d.errs); the
// first is still decoded, so its problems are reported too.
func (d *decoder) parseYAML(data []byte) (body *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := decodeNode(dec, &doc)
		if errors.Is(err, io.EOF) {
			return body, nil
		}
		if err != nil {
			return nil, err
		}
		var n *yaml.Node
		if len(doc.Content) > 0 {
			n = doc.Content[0]
		}
		if isNull(n) && (n == nil || n.Value == "") { // "---" and nothing
			continue
		}
		if body != nil {
			d.errorf(d.pos(n), "", "a config holds one YAML document", "remove this second document (after ---)")
			return body, nil
		}
		body = n
	}
}

// decodeNode turns a panic of the parser into an error: Parse must
// survive any input.
func decodeNode(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errParserPanic
		}
	}()
	return dec.Decode(doc)
}

var errParserPanic = errors.New("the YAML parser failed on this file")

// lineOf is the text of 1-based line n, without its line feed.
func lineOf(data []byte, n int) []byte {
	for ; n > 1; n-- {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		data = data[i+1:]
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	return data
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
