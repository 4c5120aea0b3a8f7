package cmd

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/probe"
)

// hostileText is what a peer that wants the operator's terminal sends: a
// window title (OSC 0), a clear screen, an OSC 8 link, an 8-bit CSI (C1) and
// a right-to-left override.
const hostileText = "\x1b]0;pwned\x07 \x1b[2J \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ \u009b31mred \u202eevil"

// leftovers are what a sanitizer that removed only the ESC byte, or nothing,
// would leave on screen.
var leftovers = []string{"pwned", "evil.example", "[2J", "]0;", "]8;", "31m"}

// terminalUnsafe finds the first rune in s that must not reach a terminal
// raw: a control other than newline (tab is allowed for tabwriter padding
// only where the output has none), DEL, a C1 control or a bidi control.
func terminalUnsafe(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

func assertTerminalSafe(t *testing.T, what, s string) {
	t.Helper()
	if r, ok := terminalUnsafe(s); ok {
		t.Errorf("%s carries %U raw:\n%q", what, r, s)
	}
	for _, l := range leftovers {
		if strings.Contains(s, l) {
			t.Errorf("%s shows %q, left of an escape sequence:\n%q", what, l, s)
		}
	}
}

// hostileMCP is a real MCP server (mcp-go) whose name and version carry
// hostileText. It knows no server/discover, so it gets the initialize
// handshake, and it answers ping and tools/list with a JSON-RPC error whose
// message carries hostileText too.
func hostileMCP() http.Handler {
	next := server.NewStreamableHTTPServer(server.NewMCPServer("srv"+hostileText, "1.0"+hostileText))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		_ = json.Unmarshal(body, &msg)
		rpcErr := map[string]any{"code": -32000, "message": "boom" + hostileText}
		switch {
		case len(msg.ID) == 0:
			next.ServeHTTP(w, r)
			return
		case msg.Method == "server/discover":
			rpcErr = map[string]any{"code": -32601, "message": "Method not found"}
		case msg.Method != "ping" && msg.Method != "tools/list":
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": msg.ID, "error": rpcErr})
	})
}

// hostileTokenEndpoint refuses every client with hostileText in its RFC 6749
// error_description.
func hostileTokenEndpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": "denied" + hostileText})
	})
}

// TestCheckHostilePeerText: what a hostile MCP server and token endpoint
// say reaches the check table, the verbose log and stderr with no escape
// sequence, C1 or bidi control, and none of their remains; JSON keeps the
// text, with those controls written as \u escapes.
func TestCheckHostilePeerText(t *testing.T) {
	mcp := httptest.NewServer(hostileMCP())
	t.Cleanup(mcp.Close)
	tok := httptest.NewServer(hostileTokenEndpoint())
	t.Cleanup(tok.Close)
	t.Setenv("CLI_SECRET", clientSecret)

	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, cfgPath, `
defaults: {interval: 30s, timeout: 5s, slow: 5s}
servers:
  - name: rpc
    url: `+mcp.URL+`
  - name: token
    url: `+mcp.URL+`
    auth:
      type: oauth2
      token_url: `+tok.URL+`/token
      client_id: `+clientID+`
      client_secret: ${CLI_SECRET}
`)
	code, out, errOut := runCLI(t, "check", "--config", cfgPath, "--verbose")
	if code != ExitFailing {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	// The test proves something only if the peers' words are on screen.
	for _, want := range []string{"liveness", "boom", "denied", "invalid_client"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the table lacks %q; the peers were not heard:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "boom") {
		t.Fatalf("the verbose log lacks the error:\n%s", errOut)
	}
	assertTerminalSafe(t, "check's table", strings.ReplaceAll(out, "\t", " "))
	assertTerminalSafe(t, "check's stderr", errOut)

	code, out, errOut = runCLI(t, "check", "--config", cfgPath, "-o", "json")
	if code != ExitFailing {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	if r, ok := terminalUnsafe(out); ok {
		t.Errorf("JSON carries %U raw:\n%s", r, out)
	}
	for _, esc := range []string{`\u009b`, `\u202e`, `\u001b`} {
		if !strings.Contains(out, esc) {
			t.Errorf("JSON lacks the escape %s:\n%s", esc, out)
		}
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	var info *jsonInfo
	for _, s := range rep.Servers {
		if s.Name == "rpc" {
			info = s.ServerInfo
		}
	}
	// JSON keeps the text: a consumer gets what the server said.
	if info == nil || info.Name != "srv"+hostileText || info.Version != "1.0"+hostileText {
		t.Errorf("server_info = %+q, want the server's own words", info)
	}
}

// TestErrorsEchoNoEscapes: config errors, usage errors and parse errors that
// repeat what the operator (or a file they were handed) wrote carry no
// escape sequence to the terminal.
func TestErrorsEchoNoEscapes(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "bad.yaml")
	// YAML's double-quoted escapes put the controls into the key itself.
	writeFile(t, cfgPath, `servers:
  - name: a
    url: http://127.0.0.1:1/mcp
    "tra\e]0;pwned\asport\e[2J\u009b31m\u202e": http
`)
	litellm := filepath.Join(dir, "litellm.yaml")
	writeFile(t, litellm, `mcp_servers:
  a:
    url: http://127.0.0.1:1/mcp
    "x\e]0;pwned\a\e[2J\u009b31m\u202e": 1
    description: "line one\nline two \e]8;;https://evil.example/\e\\link\e]8;;\e\\ \u2066"
`)
	badLitellm := filepath.Join(dir, "bad-litellm.yaml")
	writeFile(t, badLitellm, `mcp_servers:
  b:
    url: http://127.0.0.1:1/mcp
    transport: "\e]0;pwned\a\u202e"
`)
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, "servers:\n  - name: a\n    url: http://127.0.0.1:1/mcp\n")
	for _, c := range []struct {
		args   []string
		code   int
		want   string
		quoted bool // the echo is Go-quoted: its controls are spelled out (\x1b), never raw
	}{
		{[]string{"check", "--config", cfgPath}, ExitUsage, "unknown key", false},
		{[]string{"config", "validate", cfgPath}, ExitUsage, "unknown key", false},
		{[]string{"--config", cfgPath}, ExitUsage, "unknown key", false}, // the dashboard, before it takes the screen
		{[]string{"config", "import", "--from", "litellm", litellm}, ExitOK, "1 server imported", false},
		{[]string{"config", "import", "--from", "litellm", badLitellm}, ExitUsage, "unknown transport", true},
		{[]string{"check", "--config", good, "--server", "\x1b]0;pwned\x07\u202e"}, ExitUsage, "no such server", false},
		{[]string{"check", "--output", "\x1b]0;pwned\x07\u202e"}, ExitUsage, "--output", true},
		{[]string{"check", "--frobnicate\x1b[2J\u009b31m"}, ExitUsage, "frobnicate", false},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
		for _, o := range []struct{ name, text string }{{"stderr", errOut}, {"stdout", out}} {
			what := o.name + " of " + strings.Join(c.args, " ")
			if c.quoted {
				if r, ok := terminalUnsafe(o.text); ok {
					t.Errorf("%s carries %U raw:\n%q", what, r, o.text)
				}
				continue
			}
			assertTerminalSafe(t, what, o.text)
		}
	}
}

// TestWriteTableCellsAreSanitized: every cell of check's table that holds
// text from a server or a config goes through the sanitizer, whatever
// upstream did with it: no control, no remains of a sequence, and no tab or
// newline that would add a column or a row.
func TestWriteTableCellsAreSanitized(t *testing.T) {
	evil := hostileText + "\tcol\nrow"
	snap := &probe.Snapshot{Source: "/etc/" + evil + ".yaml"}
	results := []probe.Result{{Server: "a" + evil, Status: probe.StatusUnhealthy, Stage: probe.Stage("liveness" + evil),
		Class: "rpc.-1" + evil, Message: "boom" + evil, ProtocolVersion: "2025-11-25" + evil, LivenessMethod: "ping" + evil}}
	var out bytes.Buffer
	if err := writeTable(&out, snap, results); err != nil {
		t.Fatal(err)
	}
	assertTerminalSafe(t, "the table", out.String())
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "unhealthy ") || lines[2] != "" {
		t.Fatalf("want a header, one row, a blank line and the summary:\n%s", out.String())
	}
	for _, want := range []string{"a link red evil col row", "boom link red evil col row"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row lacks %q: %q", want, lines[1])
		}
	}
}
