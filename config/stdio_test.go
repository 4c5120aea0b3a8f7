package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseStdioServers(t *testing.T) {
	name := filepath.Join("etc", "c.yaml")
	f, warns := mustParse(t, name, `allow_stdio: true
servers:
  - name: files
    transport: stdio
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", /srv]
    env:
      LOG_LEVEL: debug
      API_KEY: ${FILES_API_KEY}
    cwd: work
  - name: local
    transport: STDIO
    command: ./server.sh
`)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if !f.AllowStdio {
		t.Error("AllowStdio = false")
	}
	files, local := f.Servers[0], f.Servers[1]
	want := Stdio{
		Command: "npx",
		Args:    []string{"-y", "@modelcontextprotocol/server-filesystem", "/srv"},
		Env:     map[string]Secret{"LOG_LEVEL": {Literal: "debug"}, "API_KEY": {Env: "FILES_API_KEY"}},
		Cwd:     filepath.Join("etc", "work"),
		Allowed: true,
	}
	if !reflect.DeepEqual(files.Stdio, want) {
		t.Errorf("files.Stdio = %#v\nwant %#v", files.Stdio, want)
	}
	if files.Transport != TransportStdio || files.URL != "" || files.Auth.Type != AuthNone {
		t.Errorf("files: transport %q url %q auth %q", files.Transport, files.URL, files.Auth.Type)
	}
	// Without cwd, the config file's directory: ./server.sh is found next
	// to the config, wherever mcpwatch was started.
	if local.Transport != TransportStdio || local.Stdio.Cwd != "etc" || !local.Stdio.Allowed {
		t.Errorf("local = %+v", local)
	}
}

// Without allow_stdio the file still loads: the servers are listed and the
// probe reports them skipped with the reason.
func TestParseStdioNotAllowed(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", "servers:\n  - name: s\n    transport: stdio\n    command: srv\n")
	if f.AllowStdio || f.Servers[0].Stdio.Allowed {
		t.Errorf("allowed without allow_stdio: %+v", f.Servers[0].Stdio)
	}
}

func TestParseStdioEnvWarnsOnPartialReference(t *testing.T) {
	_, warns := mustParse(t, "c.yaml", "allow_stdio: true\nservers:\n  - name: s\n    transport: stdio\n    command: srv\n    env: {PATH: \"/opt/bin:${PATH}\"}\n")
	if len(warns) != 1 || !strings.Contains(warns[0].String(), "c.yaml:6:17: servers[0].env.PATH: only a whole value ${NAME} is read") {
		t.Errorf("warnings = %v", warns)
	}
}

func TestServerValidateStdio(t *testing.T) {
	s := Server{Name: "s", Transport: "stdio", Stdio: Stdio{Command: "srv"}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Transport != TransportStdio || s.Stdio.Cwd != "" || s.Auth.Type != AuthNone {
		t.Errorf("normalised to %+v", s)
	}
	bad := Server{Name: "s", URL: "https://x", Stdio: Stdio{Command: "srv"}}
	want := "command: only valid with transport: stdio; set transport: stdio"
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	bad = Server{Name: "s", Transport: TransportStdio, Stdio: Stdio{Command: "srv", Env: map[string]Secret{"K": {Env: "A", Literal: "b"}}}}
	want = "env.K: secret has more than one of Env, File and Literal set; set exactly one"
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
