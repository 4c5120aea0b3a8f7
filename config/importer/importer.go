// Package importer turns MCP server lists written for other tools into an
// mcpwatch config: the mcp_servers section of a LiteLLM proxy config.yaml,
// and the mcpServers JSON of Claude Code (.mcp.json), Cursor
// (.cursor/mcp.json) and similar clients.
//
// The output is YAML text, not a config.File, because what could not be
// carried over travels with it as comments that name the source file and
// line. Three rules hold for every import:
//
//   - A secret never appears in the output. A reference (os.environ/VAR,
//     ${VAR}, ${env:VAR}) stays a reference, ${VAR}; a literal secret is
//     replaced by a new reference and a comment saying which variable to
//     export. The environment is never read, so an import gives the same
//     output wherever it runs.
//   - The output loads with config.Parse without errors; Import checks
//     this itself before returning.
//   - Input problems come back as config.Errors with file:line:col, all at
//     once, and no output at all.
//
// docs/import.md is the user-facing description of the mapping.
package importer

import (
	"fmt"
	"strings"

	"github.com/mcpwatch/mcpwatch/config"
)

// Format names an input format, as given to `config import --from`.
type Format string

const (
	LiteLLM Format = "litellm"  // LiteLLM proxy config.yaml, mcp_servers section
	MCPJSON Format = "mcp-json" // mcpServers JSON: .mcp.json, .cursor/mcp.json, …
)

// Formats lists the supported formats in the order help text shows them.
var Formats = []Format{LiteLLM, MCPJSON}

// Result is one finished import.
type Result struct {
	// Config is the mcpwatch config: YAML with comments, ready to save.
	Config []byte
	// Imported counts servers written as entries, Disabled those of them
	// written with disabled: true, Omitted those only described in
	// comments (stdio servers, OpenAPI-backed LiteLLM servers …).
	Imported, Disabled, Omitted int
}

// Import converts data, read from the file name, from format f. name is
// used in error positions and in the comments of the output.
func Import(f Format, name string, data []byte) (*Result, error) {
	im := newImporter(name)
	var err error
	switch f {
	case LiteLLM:
		err = im.litellm(data)
	case MCPJSON:
		err = im.mcpJSON(data)
	default:
		return nil, fmt.Errorf("unknown import format %q; valid formats: %s, %s", f, LiteLLM, MCPJSON)
	}
	if err != nil {
		return nil, err
	}
	if err := im.errs.orNil(); err != nil {
		return nil, err
	}
	return im.finish(f)
}

// The model of the output. Secret values never reach it: a secret becomes
// a value only as a reference (env).

type value struct {
	env  string // ${env}
	text string // a literal, for values that are not secrets (X-Tenant: acme)
}

type header struct {
	name string
	val  value
}

type auth struct {
	typ                      string
	token, val, password, cs value // bearer token, header value, basic password, oauth2 client_secret
	header, username         string
	flow, tokenURL, clientID string
	audience, method         string
	scopes                   []string
}

type note struct {
	pos config.Position // Line 0: no source position
	msg string
	cmd string // a shell command to copy, written on a line of its own
}

type server struct {
	name      string
	src       config.Position
	url       string
	transport string // config.TransportHTTP or config.TransportSSE
	headers   []header
	auth      *auth
	disabled  bool
	notes     []note
	// An omitted server is written as comments only: why, then sketch,
	// the lines shown commented out.
	omitted    bool
	omitReason string
	sketch     []string
}

// omit turns s into a comment-only entry.
func (s *server) omit(reason string, sketch ...string) {
	s.omitted, s.omitReason, s.sketch = true, reason, sketch
}

func (s *server) note(pos config.Position, format string, args ...any) {
	s.notes = append(s.notes, note{pos: pos, msg: fmt.Sprintf(format, args...)})
}

// noteCmd is a note followed by the command that acts on it.
func (s *server) noteCmd(pos config.Position, cmd, format string, args ...any) {
	s.notes = append(s.notes, note{pos: pos, msg: fmt.Sprintf(format, args...), cmd: cmd})
}

// disable marks a server that must not be probed until a person acts.
func (s *server) disable(pos config.Position, format string, args ...any) {
	s.disabled = true
	s.note(pos, "disabled: "+format, args...)
}

type importer struct {
	name    string
	servers []*server
	notes   []note // file-wide, written at the top
	errs    errList
	usedEnv map[string]bool // env names referenced or invented, so invented ones never collide
}

func newImporter(name string) *importer {
	return &importer{name: name, usedEnv: map[string]bool{}}
}

type errList config.Errors

func (im *importer) errorf(pos config.Position, path, msg, hint string) {
	im.errs = append(im.errs, &config.Error{Pos: pos, Path: path, Msg: msg, Hint: hint})
}

func (es errList) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return config.Errors(es)
}

// inventEnv makes a new, unused variable name for a secret that was
// written literally: GITHUB_MCP_TOKEN for server github-mcp, suffix TOKEN.
func (im *importer) inventEnv(server, suffix string) string {
	base := envify(server) + "_" + envify(suffix)
	name := base
	for i := 2; im.usedEnv[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	im.usedEnv[name] = true
	return name
}

// envify upper-cases s and turns everything but letters and digits into _.
func envify(s string) string {
	var b strings.Builder
	last := byte('_')
	for _, r := range strings.ToUpper(s) {
		c := byte('_')
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			c = byte(r)
		}
		if c == '_' && last == '_' {
			continue
		}
		b.WriteByte(c)
		last = c
	}
	out := strings.Trim(b.String(), "_")
	if out == "" {
		out = "MCP"
	}
	if out[0] >= '0' && out[0] <= '9' {
		out = "MCP_" + out
	}
	return out
}

// finish renders the output and proves it loads.
func (im *importer) finish(f Format) (*Result, error) {
	res := &Result{}
	for _, s := range im.servers {
		switch {
		case s.omitted:
			res.Omitted++
		case s.disabled:
			res.Imported++
			res.Disabled++
		default:
			res.Imported++
		}
	}
	if res.Imported == 0 {
		msg := "no server could be imported"
		hint := "mcpwatch probes MCP servers over streamable HTTP or SSE; add one with a url"
		if res.Omitted > 0 {
			msg = fmt.Sprintf("none of the %d servers can be imported", res.Omitted)
			reasons := map[string]bool{}
			for _, s := range im.servers {
				reasons[s.omitReason] = true
			}
			if len(reasons) == 1 {
				for r := range reasons {
					hint = r
				}
			}
		}
		return nil, config.Errors{{Pos: config.Position{File: im.name}, Msg: msg, Hint: hint}}
	}
	res.Config = im.render(f)
	if err := im.verify(res.Config); err != nil {
		return nil, err
	}
	return res, nil
}
