package config

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, name, src string) (*File, []Warning) {
	t.Helper()
	f, warns, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f, warns
}

func TestParseFullExample(t *testing.T) {
	f, warns := mustParse(t, filepath.Join("etc", "c.yaml"), fullExample)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	want := &File{
		Path:        filepath.Join("etc", "c.yaml"),
		Digest:      sha256.Sum256([]byte(fullExample)),
		Defaults:    Defaults{Interval: 30 * time.Second, Timeout: 10 * time.Second, Slow: 2 * time.Second, MaxMessageSize: DefaultMaxMessageSize},
		Concurrency: 16,
		PerHost:     2,
		Servers: []Server{
			{
				Name:           "billing",
				URL:            "https://mcp.example.com/mcp",
				Transport:      TransportHTTP,
				Headers:        map[string]Secret{"X-Tenant": {Literal: "acme"}, "X-Api-Key": {Env: "API_KEY"}},
				Tags:           []string{"prod", "eu"},
				Interval:       time.Minute,
				Timeout:        10 * time.Second,
				Slow:           2 * time.Second,
				MaxMessageSize: DefaultMaxMessageSize,
				Auth: Auth{
					Type:         AuthOAuth2,
					Flow:         FlowClientCredentials,
					TokenURL:     "https://auth.example.com/oauth/token",
					ClientID:     "mcpwatch",
					ClientSecret: Secret{Env: "BILLING_SECRET"},
					Scopes:       []string{"mcp:read"},
					Audience:     "https://api.example.com",
					Resource:     "https://mcp.example.com/mcp",
					Method:       MethodClientSecretBasic,
				},
				Pos: Position{File: filepath.Join("etc", "c.yaml"), Line: 5, Col: 3},
			},
			{
				Name:           "search",
				URL:            "https://search.example.com/sse",
				Transport:      TransportSSE,
				Interval:       30 * time.Second,
				Timeout:        5 * time.Second,
				Slow:           time.Second,
				Disabled:       true,
				MaxMessageSize: DefaultMaxMessageSize,
				// Relative *_file paths resolve against the config's directory.
				Auth: Auth{Type: AuthBearer, Token: Secret{File: filepath.Join("etc", "secrets", "search")}},
				Pos:  Position{File: filepath.Join("etc", "c.yaml"), Line: 22, Col: 3},
			},
		},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got\n%#v\nwant\n%#v", f, want)
	}
}

func TestParseDefaults(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", minimal)
	if f.Defaults != (Defaults{Interval: 30 * time.Second, Timeout: 10 * time.Second, Slow: 2 * time.Second, MaxMessageSize: DefaultMaxMessageSize}) {
		t.Errorf("Defaults = %+v", f.Defaults)
	}
	if f.Concurrency != 32 || f.PerHost != 4 {
		t.Errorf("Concurrency, PerHost = %d, %d; want 32, 4", f.Concurrency, f.PerHost)
	}
	s := f.Servers[0]
	if s.Transport != TransportAuto || s.Auth.Type != AuthNone {
		t.Errorf("Transport, Auth.Type = %q, %q; want auto, none", s.Transport, s.Auth.Type)
	}
	if s.Interval != 30*time.Second || s.Timeout != 10*time.Second || s.Slow != 2*time.Second {
		t.Errorf("durations = %v %v %v", s.Interval, s.Timeout, s.Slow)
	}
	if s.Pos != (Position{File: "c.yaml", Line: 2, Col: 3}) {
		t.Errorf("Pos = %v", s.Pos)
	}
}

func TestParseOverridesMergeWithDefaults(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", `defaults:
  interval: 1m
  timeout: 20s
servers:
  - name: inherits
    url: https://a
  - name: overrides
    url: https://b
    interval: 5s
    slow: 500ms
`)
	got := [][3]time.Duration{}
	for _, s := range f.Servers {
		got = append(got, [3]time.Duration{s.Interval, s.Timeout, s.Slow})
	}
	want := [][3]time.Duration{
		{time.Minute, 20 * time.Second, 2 * time.Second},
		{5 * time.Second, 20 * time.Second, 500 * time.Millisecond},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("durations = %v, want %v", got, want)
	}
	if f.Defaults.Slow != 2*time.Second {
		t.Errorf("an absent default must stay at its built-in value, got %v", f.Defaults.Slow)
	}
}

func TestParseOAuth2Defaults(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", `servers:
  - name: a
    url: https://mcp.example.com/mcp
    auth:
      type: oauth2
      client_id: c
      client_secret: ${S}
  - name: b
    url: https://b.example.com
    auth: {type: oauth2, flow: authorization_code}
`)
	a := f.Servers[0].Auth
	if a.Flow != FlowClientCredentials {
		t.Errorf("Flow = %q, want client_credentials", a.Flow)
	}
	if a.Resource != "https://mcp.example.com/mcp" {
		t.Errorf("Resource = %q, want the server URL", a.Resource)
	}
	// Method stays empty so the probe can choose from discovered metadata.
	if a.Method != "" {
		t.Errorf("Method = %q, want empty", a.Method)
	}
	if b := f.Servers[1].Auth; b.Flow != FlowAuthorizationCode || b.ClientID != "" {
		t.Errorf("authorization_code server = %+v", b)
	}
}

func TestParseWarnings(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://x\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"literal secret", srv + "    auth:\n      type: bearer\n      token: hunter2\n",
			[]string{"c.yaml:6:14: servers[0].auth.token: literal secret in config; use ${ENV} or token_file"}},
		{"literal client secret", srv + "    auth: {type: oauth2, client_id: c, client_secret: hunter2}\n",
			[]string{"c.yaml:4:55: servers[0].auth.client_secret: literal secret in config; use ${ENV} or client_secret_file"}},
		{"literal header values are fine", srv + "    headers: {X-Tenant: acme}\n", nil},
		{"env refs are fine", srv + "    auth: {type: basic, username: u, password: \"${P}\"}\n", nil},
		{"partial env ref in header", srv + "    headers: {Authorization: \"Bearer ${T}\"}\n",
			[]string{"c.yaml:4:30: servers[0].headers.Authorization: only a whole value ${NAME} is read from the environment; this value is used literally"}},
		{"slow >= timeout in defaults", "defaults: {timeout: 2s}\n" + srv,
			[]string{"c.yaml:1:21: defaults.timeout: slow (2s) is not below timeout (2s); no check can ever be reported degraded"}},
		{"slow >= timeout in a server", srv + "    slow: 15s\n",
			[]string{"c.yaml:4:11: servers[0].slow: slow (15s) is not below timeout (10s); no check can ever be reported degraded"}},
		{"credentials over plain http", "servers:\n  - name: a\n    url: http://mcp.example.com\n    auth: {type: bearer, token: \"${T}\"}\n",
			[]string{"c.yaml:3:10: servers[0].url: credentials will be sent over plain http; use https"}},
		{"plain http on loopback is fine", "servers:\n  - name: a\n    url: http://127.0.0.1:8080/mcp\n    auth: {type: bearer, token: \"${T}\"}\n", nil},
		{"token_url over plain http", srv + "    auth: {type: oauth2, client_id: c, client_secret: \"${S}\", token_url: \"http://auth.example.com/t\"}\n",
			[]string{"c.yaml:4:74: servers[0].auth.token_url: client credentials will be sent over plain http; use https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warns := mustParse(t, "c.yaml", tt.src)
			var got []string
			for _, w := range warns {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings:\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

// Warnings come back even when the file has errors, so they are not lost
// while the operator fixes the errors.
func TestParseWarningsWithErrors(t *testing.T) {
	_, warns, err := Parse("c.yaml", []byte("servers:\n  - name: a\n    auth: {type: bearer, token: hunter2}\n"))
	if err == nil || len(warns) != 1 {
		t.Fatalf("err = %v, warnings = %v; want both", err, warns)
	}
}

func TestParseAnchorsAndMerges(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", `x-auth: &auth
  type: oauth2
  client_id: shared
  client_secret: ${SHARED}
  scopes: [mcp:read]
servers:
  - name: a
    url: https://a
    auth: *auth
  - name: b
    url: https://b
    auth:
      <<: *auth
      client_id: own
`)
	a, b := f.Servers[0].Auth, f.Servers[1].Auth
	if a.ClientID != "shared" || a.ClientSecret.Env != "SHARED" || !reflect.DeepEqual(a.Scopes, []string{"mcp:read"}) {
		t.Errorf("alias: %+v", a)
	}
	if b.ClientID != "own" || b.ClientSecret.Env != "SHARED" {
		t.Errorf("merge: explicit keys must win over merged ones: %+v", b)
	}
}

func TestParseScalarsKeepSourceSpelling(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", "servers:\n  - name: 007\n    url: https://x\n    tags: [2024, true]\n")
	s := f.Servers[0]
	if s.Name != "007" || !reflect.DeepEqual(s.Tags, []string{"2024", "true"}) {
		t.Errorf("Name %q, Tags %q", s.Name, s.Tags)
	}
}

func TestParseByteOrderMarkAndCRLF(t *testing.T) {
	src := "\ufeffservers:\r\n  - name: a\r\n    url: https://x\r\n"
	f, _ := mustParse(t, "c.yaml", src)
	if f.Servers[0].Name != "a" || f.Servers[0].URL != "https://x" {
		t.Errorf("server = %+v", f.Servers[0])
	}
}

func TestParseTransportSpellings(t *testing.T) {
	for in, want := range map[string]string{"": "auto", "auto": "auto", "AUTO": "auto", "http": "http", "streamable-http": "http", "streamableHttp": "http", "SSE": "sse"} {
		s := Server{Name: "a", URL: "https://x", Transport: in}
		if err := s.Validate(); err != nil || s.Transport != want {
			t.Errorf("Transport %q -> %q, %v; want %q", in, s.Transport, err, want)
		}
	}
}

func TestParseXKeysAreIgnored(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", "x-notes: anything\n"+minimal)
	if len(f.Servers) != 1 {
		t.Fatal("x- key broke parsing")
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	f, _, err := Load(path)
	if f != nil || err == nil {
		t.Fatalf("Load = %v, %v", f, err)
	}
	want := "read config: open " + path + ": no such file or directory; create it or pass --config FILE"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("err does not wrap fs.ErrNotExist")
	}
}

// Only a missing file gets the "create it" hint; other read errors would
// make it misleading.
func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	_, _, err := Load(dir)
	if err == nil || err.Error() != "read config: "+dir+" is a directory, not a regular file; give the path of the config file itself (a symlink to one is fine)" {
		t.Errorf("err = %v", err)
	}
}

// End to end: a relative *_file resolves against the config's directory,
// not the working directory.
func TestLoadResolvesRelativeSecretFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "billing"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "servers:\n  - name: a\n    url: https://x\n    auth: {type: oauth2, client_id: c, client_secret_file: secrets/billing}\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // somewhere else entirely
	f, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Servers[0].Auth.ClientSecret.Resolve()
	if err != nil || got != "s3cret" {
		t.Errorf("Resolve = %q, %v", got, err)
	}
	if f.Path != path || f.Servers[0].Pos.File != path {
		t.Errorf("Path %q, Pos.File %q; want %q", f.Path, f.Servers[0].Pos.File, path)
	}
}

func TestPrivateKeyFileResolvesAgainstConfigDir(t *testing.T) {
	f, _ := mustParse(t, filepath.Join("etc", "mcpwatch", "c.yaml"), `servers:
  - name: a
    url: https://x
    auth: {type: oauth2, client_id: c, method: private_key_jwt, private_key_file: keys/a.pem}
  - name: b
    url: https://x
    auth: {type: oauth2, client_id: c, method: private_key_jwt, private_key_file: /abs/b.pem}
`)
	if got := f.Servers[0].Auth.PrivateKeyFile; got != filepath.Join("etc", "mcpwatch", "keys", "a.pem") {
		t.Errorf("relative key = %q", got)
	}
	if got := f.Servers[1].Auth.PrivateKeyFile; got != "/abs/b.pem" {
		t.Errorf("absolute key = %q", got)
	}
}

func TestAssertionAudienceDecodes(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", `servers:
  - name: a
    url: https://x
    auth:
      type: oauth2
      token_url: https://as.example/oauth2/token
      client_id: c
      method: private_key_jwt
      private_key_file: /keys/a.pem
      assertion_audience: https://as.example
`)
	if got := f.Servers[0].Auth.AssertionAudience; got != "https://as.example" {
		t.Errorf("assertion_audience = %q", got)
	}
}

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)

	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if got := DefaultPath(); got != "/xdg/mcpwatch/config.yaml" {
		t.Errorf("with XDG_CONFIG_HOME: %q", got)
	}
	want := filepath.Join(home, ".config", "mcpwatch", "config.yaml")
	t.Setenv("XDG_CONFIG_HOME", "")
	if got := DefaultPath(); got != want {
		t.Errorf("without XDG_CONFIG_HOME: %q, want %q", got, want)
	}
	// The XDG spec says a relative value is invalid and must be ignored.
	t.Setenv("XDG_CONFIG_HOME", "relative/dir")
	if got := DefaultPath(); got != want {
		t.Errorf("relative XDG_CONFIG_HOME: %q, want %q", got, want)
	}
}

// TestCommentWithBracketsIsNotNesting: a comment at the start of a line is
// not flow nesting, however many brackets it holds.
func TestCommentWithBracketsIsNotNesting(t *testing.T) {
	src := "servers:\n#" + strings.Repeat("[", 200) + "\n  - {name: a, url: \"https://x.example/mcp\"}\n"
	if _, _, err := Parse("c.yaml", []byte(src)); err != nil {
		t.Fatalf("a valid file was rejected: %v", err)
	}
}
