package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	yaml "github.com/goccy/go-yaml"

	"github.com/mcpwatch/mcpwatch/config"
)

// flat joins wrapped comment lines, so tests can look for a whole note.
func flat(out string) string {
	return regexp.MustCompile(`\n *#   `).ReplaceAllString(out, " ")
}

// load imports src and loads the result, failing the test on any error.
func load(t *testing.T, f Format, src string) (*config.File, string) {
	t.Helper()
	res, err := Import(f, "src", []byte(src))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	cfg, _, err := config.Parse("out.yaml", res.Config)
	if err != nil {
		t.Fatalf("output does not load: %v\n%s", err, res.Config)
	}
	return cfg, flat(string(res.Config))
}

func serverNamed(t *testing.T, cfg *config.File, name string) config.Server {
	t.Helper()
	for _, s := range cfg.Servers {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no server %q in output", name)
	return config.Server{}
}

// TestNoLiteralSecretInOutput: every literal secret in the fixtures is
// marked LITERAL (or is one of the LiteLLM docs' own example values); none
// may reach the output, not even in a comment.
func TestNoLiteralSecretInOutput(t *testing.T) {
	forbidden := []string{"LITERAL", "abc123", "your-circleci-token", "dXNlcjpwYXNz", "user:pass", "test-secret"}
	for _, fx := range fixtures {
		out := string(importFixture(t, fx.file, fx.format).Config)
		for _, s := range forbidden {
			if strings.Contains(out, s) {
				t.Errorf("%s: output contains the literal secret %q", fx.file, s)
			}
		}
	}
}

// TestEnvironmentIsNeverRead: a secret given as os.environ/VAR stays the
// reference ${VAR} even when VAR is set while importing, and the output
// does not depend on the environment.
func TestEnvironmentIsNeverRead(t *testing.T) {
	before := importFixture(t, "litellm_m2m.yaml", LiteLLM).Config
	t.Setenv("MCP_CLIENT_SECRET", "resolved-secret-value-0xC0FFEE")
	t.Setenv("MCP_CLIENT_ID", "resolved-client-id")
	t.Setenv("BILLING_MCP_SECRET", "resolved-billing-secret")
	after := importFixture(t, "litellm_m2m.yaml", LiteLLM).Config
	if string(before) != string(after) {
		t.Fatal("the output changed with the environment")
	}
	for _, v := range []string{"resolved-secret-value", "resolved-client-id", "resolved-billing-secret"} {
		if strings.Contains(string(after), v) {
			t.Errorf("output contains the value of an environment variable: %q", v)
		}
	}
	cfg, _, err := config.Parse("out.yaml", after)
	if err != nil {
		t.Fatal(err)
	}
	m2m := serverNamed(t, cfg, "my_mcp_server")
	if m2m.Auth.ClientSecret != (config.Secret{Env: "MCP_CLIENT_SECRET"}) {
		t.Errorf("client_secret = %#v, want the reference ${MCP_CLIENT_SECRET}", m2m.Auth.ClientSecret)
	}
	if m2m.Disabled || m2m.Auth.ClientID != "${MCP_CLIENT_ID}" {
		t.Errorf("client_id from os.environ: disabled=%v client_id=%q, want the reference ${MCP_CLIENT_ID}, enabled", m2m.Disabled, m2m.Auth.ClientID)
	}
}

func TestLiteLLMAuthMapping(t *testing.T) {
	cfg, out := load(t, LiteLLM, `mcp_servers:
  k:
    url: https://k.example.com/mcp
    auth_type: api_key
    auth_value: os.environ/K_KEY
  b:
    url: https://b.example.com/mcp
    auth_type: bearer_token
    auth_value: "Bearer os.environ/NOT_A_REF"
  u:
    url: https://u.example.com/mcp
    auth_type: basic
    auth_value: "Basic YWxpY2U6c2VjcmV0"
  m2m:
    url: https://m.example.com/mcp
    auth_type: oauth2
    oauth2_flow: client_credentials
    client_id: probe
    client_secret: os.environ/M2M_SECRET
    scopes: "a b,c"
    token_endpoint_auth_method: private_key_jwt
`)
	if a := serverNamed(t, cfg, "k").Auth; a.Type != config.AuthHeader || a.Header != "X-API-Key" || a.Value.Env != "K_KEY" {
		t.Errorf("api_key: %+v", a)
	}
	// A scheme and a reference in one value: never the literal text.
	if a := serverNamed(t, cfg, "b").Auth; a.Type != config.AuthBearer || a.Token.Env != "B_TOKEN" {
		t.Errorf("bearer with composite value: %+v", a)
	}
	if a := serverNamed(t, cfg, "u").Auth; a.Type != config.AuthBasic || a.Username != "alice" || a.Password.Env != "U_PASSWORD" {
		t.Errorf("basic: %+v", a)
	}
	if strings.Contains(out, "secret\n") || strings.Contains(out, "YWxpY2U6c2VjcmV0") {
		t.Error("the basic password reached the output")
	}
	a := serverNamed(t, cfg, "m2m").Auth
	if a.Flow != config.FlowClientCredentials || a.ClientID != "probe" || a.ClientSecret.Env != "M2M_SECRET" ||
		strings.Join(a.Scopes, " ") != "a b c" || a.Method != "" {
		t.Errorf("oauth2: %+v", a)
	}
	if !strings.Contains(out, "token_endpoint_auth_method private_key_jwt not carried over") {
		t.Error("no comment for the method that was dropped")
	}
	if !strings.Contains(out, "no token_url: mcpwatch discovers") {
		t.Error("no comment saying the token endpoint will be discovered")
	}
}

func TestLiteLLMOAuth2FlowInference(t *testing.T) {
	cfg, out := load(t, LiteLLM, `mcp_servers:
  legacy_m2m:
    url: https://a.example.com/mcp
    auth_type: oauth2
    client_id: c
    client_secret: os.environ/S
    token_url: https://auth.example.com/token
  github_mcp:
    url: "https://api.githubcopilot.com/mcp"
    auth_type: oauth2
    client_id: os.environ/GITHUB_OAUTH_CLIENT_ID
    client_secret: os.environ/GITHUB_OAUTH_CLIENT_SECRET
`)
	if f := serverNamed(t, cfg, "legacy_m2m").Auth.Flow; f != config.FlowClientCredentials {
		t.Errorf("client_id+client_secret+token_url without oauth2_flow: flow %q, want client_credentials", f)
	}
	gh := serverNamed(t, cfg, "github_mcp")
	if gh.Auth.Flow != config.FlowAuthorizationCode || gh.Disabled {
		t.Errorf("interactive server: flow %q disabled %v, want authorization_code, listed (the probe skips it)", gh.Auth.Flow, gh.Disabled)
	}
	if !strings.Contains(out, "newer LiteLLM releases require oauth2_flow") || !strings.Contains(out, "read as the interactive authorization_code flow") {
		t.Errorf("inferred flows are not explained:\n%s", out)
	}
}

func TestStaticHeaders(t *testing.T) {
	cfg, out := load(t, LiteLLM, `mcp_servers:
  h:
    url: https://h.example.com/mcp
    static_headers:
      Authorization: "Bearer os.environ/H_TOKEN"
      X-Tenant: acme
      X-Trace: "sk-live-0123456789abcdefghij"
      X-Org: "${ORG_ID}"
  both:
    url: https://both.example.com/mcp
    auth_type: bearer_token
    auth_value: os.environ/BOTH_TOKEN
    static_headers:
      authorization: "Bearer os.environ/OTHER"
`)
	h := serverNamed(t, cfg, "h")
	// "Bearer os.environ/X" is not a whole reference: LiteLLM would not
	// expand it either, so it becomes an invented variable.
	if h.Auth.Type != config.AuthBearer || h.Auth.Token.Env != "H_TOKEN_2" {
		t.Errorf("Authorization: Bearer …: auth %+v (H_TOKEN is taken by the source, so the invented name is H_TOKEN_2)", h.Auth)
	}
	if h.Headers["X-Tenant"] != (config.Secret{Literal: "acme"}) {
		t.Errorf("a harmless literal header is kept: %+v", h.Headers["X-Tenant"])
	}
	if h.Headers["X-Trace"].Env == "" || strings.Contains(out, "sk-live") {
		t.Errorf("a secret-looking value under an innocent name must become a reference: %+v", h.Headers["X-Trace"])
	}
	if h.Headers["X-Org"] != (config.Secret{Env: "ORG_ID"}) {
		t.Errorf("${ORG_ID}: %+v", h.Headers["X-Org"])
	}
	both := serverNamed(t, cfg, "both")
	if len(both.Headers) != 0 || both.Auth.Token.Env != "BOTH_TOKEN" || !strings.Contains(out, "header authorization not copied") {
		t.Errorf("a static Authorization next to auth_type must give way to the auth: %+v", both)
	}
}

func TestMCPJSONReferences(t *testing.T) {
	cfg, out := load(t, MCPJSON, `{"mcpServers": {
  "a": {"type": "streamable-http", "url": "https://a.example.com/mcp",
        "headers": {"Authorization": "Bearer ${env:A_TOKEN}", "X-Api-Key": "${A_KEY:-fallback}"}},
  "b": {"url": "https://b.example.com/sse", "headers": {"Authorization": "Basic ${B64}"}},
  "c": {"serverUrl": "https://c.example.com/mcp", "enabled": false},
  "d": {"httpUrl": "https://d.example.com/stream"}
}}`)
	a := serverNamed(t, cfg, "a")
	if a.Transport != config.TransportHTTP || a.Auth.Token.Env != "A_TOKEN" || a.Headers["X-Api-Key"].Env != "A_KEY" {
		t.Errorf("a: %+v", a)
	}
	if !strings.Contains(out, "the default after :- was dropped") {
		t.Error("a dropped default is not explained")
	}
	b := serverNamed(t, cfg, "b")
	if b.Transport != config.TransportAuto || b.Headers["Authorization"].Env != "B_AUTHORIZATION" {
		t.Errorf("b: %+v", b)
	}
	if !strings.Contains(out, `export B_AUTHORIZATION="Basic ${B64}"`) {
		t.Errorf("no export advice for a composite header:\n%s", out)
	}
	if c := serverNamed(t, cfg, "c"); !c.Disabled || c.URL != "https://c.example.com/mcp" {
		t.Errorf("c (Windsurf serverUrl, enabled: false): %+v", c)
	}
	if d := serverNamed(t, cfg, "d"); d.Transport != config.TransportHTTP {
		t.Errorf("d (Gemini httpUrl) transport %q", d.Transport)
	}
}

func TestInventedNamesDoNotCollide(t *testing.T) {
	cfg, _ := load(t, MCPJSON, `{"mcpServers": {
  "a-b": {"type": "http", "url": "https://1.example.com/mcp", "headers": {"Authorization": "Bearer literal-one-0123456789"}},
  "a_b": {"type": "http", "url": "https://2.example.com/mcp", "headers": {"Authorization": "Bearer literal-two-0123456789"}},
  "ref": {"type": "http", "url": "https://3.example.com/mcp", "headers": {"X-Key": "${A_B_TOKEN_3}"}}
}}`)
	got := []string{serverNamed(t, cfg, "a-b").Auth.Token.Env, serverNamed(t, cfg, "a_b").Auth.Token.Env}
	if got[0] != "A_B_TOKEN" || got[1] != "A_B_TOKEN_2" {
		t.Errorf("invented names %v, want A_B_TOKEN, A_B_TOKEN_2", got)
	}
	// A_B_TOKEN_3 is used by the source: a third literal would skip it.
	im := newImporter("x")
	im.usedEnv["A_B_TOKEN"], im.usedEnv["A_B_TOKEN_2"], im.usedEnv["A_B_TOKEN_3"] = true, true, true
	if n := im.inventEnv("a b", "token"); n != "A_B_TOKEN_4" {
		t.Errorf("inventEnv = %s, want A_B_TOKEN_4", n)
	}
	if n := envify("9-lives!"); n != "MCP_9_LIVES" {
		t.Errorf("envify = %s", n)
	}
}

func TestURLHandling(t *testing.T) {
	cfg, out := load(t, LiteLLM, `mcp_servers:
  envurl:
    url: os.environ/MCP_URL
  creds:
    url: https://svc:hunter2@creds.example.com/mcp
  query:
    url: https://q.example.com/mcp?api_key=abc
`)
	e := serverNamed(t, cfg, "envurl")
	if !e.Disabled || e.URL != "https://replace-with-mcp-url.invalid/mcp" {
		t.Errorf("url from os.environ: %+v", e)
	}
	c := serverNamed(t, cfg, "creds")
	if c.URL != "https://creds.example.com/mcp" || c.Auth.Type != config.AuthBasic || c.Auth.Username != "svc" || c.Auth.Password.Env == "" {
		t.Errorf("user:password@ in url: %+v", c)
	}
	if strings.Contains(out, "hunter2") {
		t.Error("the url password reached the output")
	}
	if !strings.Contains(out, "credential in query parameter api_key") {
		t.Error("a credential in the query string is not pointed out")
	}
}

func TestStdioAndOmitted(t *testing.T) {
	_, out := load(t, LiteLLM, `mcp_servers:
  web:
    url: https://w.example.com/mcp
  local:
    command: python
    args: ["server.py", "--token", "tok-SECRET-1", "--api-key=abc-SECRET-2", "ghp_SECRETTOKENVALUE"]
    env: {DB_PASSWORD: SECRET-3}
`)
	if !strings.Contains(out, "# - name: local") || !strings.Contains(out, "command: python server.py --token <redacted> --api-key=<redacted> <redacted>") {
		t.Errorf("stdio server sketch:\n%s", out)
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("a stdio secret reached the output:\n%s", out)
	}
	// Only stdio servers: nothing to import is an error, not an empty config.
	_, err := Import(LiteLLM, "only.yaml", []byte("mcp_servers:\n  a: {command: npx}\n  b: {transport: stdio, command: uvx}\n"))
	if err == nil || !strings.Contains(err.Error(), "none of the 2 servers can be imported; stdio server") {
		t.Errorf("all-stdio import: %v", err)
	}
}

// TestInputErrors: malformed input names file:line:col, what is wrong and
// what to do, and produces no output.
func TestInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		src    string
		want   []string // substrings of the error, in order
	}{
		{"yaml syntax", LiteLLM, "mcp_servers:\n  a:\n    url: [https://x\n", []string{"in.txt:3:", "invalid YAML"}},
		{"yaml duplicate key", LiteLLM, "mcp_servers:\n  a: {url: https://a.example.com}\n  a: {url: https://b.example.com}\n", []string{"in.txt:3:3", "invalid YAML", "already defined"}},
		{"yaml empty", LiteLLM, "", []string{"in.txt:1:1", "expected a LiteLLM proxy config (a mapping with mcp_servers:), got nothing"}},
		{"url not a string", LiteLLM, "mcp_servers:\n  a:\n    url: [https://a.example.com]\n", []string{"in.txt:3:10", "mcp_servers.a.url: expected a string, got a list"}},
		{"yaml not a mapping", LiteLLM, "- a\n- b\n", []string{"in.txt:1:1", "expected a LiteLLM proxy config"}},
		{"no mcp_servers", LiteLLM, "model_list: []\n", []string{"in.txt: no mcp_servers: section", "LiteLLM proxy config.yaml"}},
		{"json given as litellm", LiteLLM, `{"mcpServers": {}}`, []string{"no mcp_servers", "use --from mcp-json"}},
		{"mcp_servers list", LiteLLM, "mcp_servers:\n  - url: https://a.example.com\n", []string{"in.txt:2:3", "mcp_servers: expected a mapping of server name to settings, got a list"}},
		{"empty mcp_servers", LiteLLM, "mcp_servers: {}\n", []string{"in.txt:1:1", "no servers listed"}},
		{"server not mapping", LiteLLM, "mcp_servers:\n  a: https://a.example.com\n", []string{"in.txt:2:6", "mcp_servers.a: expected a mapping of settings, got a string"}},
		{"unknown transport", LiteLLM, "mcp_servers:\n  a:\n    url: https://a.example.com\n    transport: websocket\n", []string{"in.txt:4:16", `unknown transport "websocket"`, "http, sse and stdio"}},
		{"missing url", LiteLLM, "mcp_servers:\n  a:\n    auth_type: none\n", []string{"in.txt:2:3", "mcp_servers.a.url: missing"}},
		{"relative url", LiteLLM, "mcp_servers:\n  a:\n    url: /mcp\n", []string{"in.txt:3:10", "not an absolute http or https URL"}},
		{"bad oauth2_flow", LiteLLM, "mcp_servers:\n  a:\n    url: https://a.example.com\n    auth_type: oauth2\n    oauth2_flow: device\n", []string{"in.txt:5:18", `unknown value "device"`}},
		{"bad header name", LiteLLM, "mcp_servers:\n  a:\n    url: https://a.example.com\n    static_headers:\n      \"X Bad\": v\n", []string{"in.txt:5:7", `invalid header name "X Bad"`}},
		{"several at once", LiteLLM, "mcp_servers:\n  a: 1\n  b:\n    url: ftp://b\n", []string{"in.txt:2:6", "\nin.txt:4:10"}},
		{"json syntax", MCPJSON, "{\n  \"mcpServers\": {\n    \"a\": {\"url\": \"https://a.example.com\",}\n  }\n}\n", []string{"in.txt:3:42", "invalid JSON", "trailing comma"}},
		{"json comment", MCPJSON, "{\n  // servers\n  \"mcpServers\": {}\n}\n", []string{"in.txt:2:3", "JSON has no comments"}},
		{"json truncated", MCPJSON, "{\"mcpServers\": {\"a\": {", []string{"in.txt:1:", "ends too early"}},
		{"json empty", MCPJSON, "  \n", []string{"in.txt: empty file"}},
		{"json duplicate key", MCPJSON, "{\"mcpServers\": {\n  \"a\": {\"url\": \"https://a.example.com\"},\n  \"a\": {\"url\": \"https://b.example.com\"}}}", []string{"in.txt:3:3", `duplicate key "a"`, "first defined at line 2"}},
		{"json no mcpServers", MCPJSON, `{"servers2": {}}`, []string{"in.txt:1:1", "no mcpServers object"}},
		{"litellm given as json", MCPJSON, `{"mcp_servers": {}}`, []string{"use --from litellm"}},
		{"json neither url nor command", MCPJSON, "{\"mcpServers\": {\n  \"a\": {\"headers\": {}}}}", []string{"in.txt:2:3", `mcpServers.a: neither "url" nor "command"`}},
		{"json unknown type", MCPJSON, "{\"mcpServers\": {\"a\": {\"type\": \"grpc\", \"url\": \"https://a.example.com\"}}}", []string{"in.txt:1:31", `unknown type "grpc"`}},
		{"json header not string", MCPJSON, "{\"mcpServers\": {\"a\": {\"url\": \"https://a.example.com\", \"headers\": {\"X\": {}}}}}", []string{"in.txt:1:", "mcpServers.a.headers.X: expected a string, got a mapping"}},
		{"json disabled not bool", MCPJSON, "{\"mcpServers\": {\"a\": {\"url\": \"https://a.example.com\", \"disabled\": \"yes\"}}}", []string{"expected true or false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Import(tc.format, "in.txt", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; output:\n%s", res.Config)
			}
			if res != nil {
				t.Error("a result came back with the error")
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want config.Errors: %v", err, err)
			}
			if len(errs) != strings.Count(strings.Join(tc.want, ""), "in.txt:") && strings.Count(strings.Join(tc.want, ""), "in.txt:") > 0 {
				t.Errorf("%d errors, want %d: %v", len(errs), strings.Count(strings.Join(tc.want, ""), "in.txt:"), err)
			}
			msg := err.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q does not contain %q (after offset %d)", msg, w, at)
				}
				at += i + len(w)
			}
		})
	}
}

// TestScalarRoundTrip: whatever a name, url or header value holds, the
// YAML written for it reads back as the same string.
func TestScalarRoundTrip(t *testing.T) {
	for _, s := range []string{
		"plain", "true", "no", "Null", "~", "123", "1e3", "0x1F", ".5", "-x", "- x", "a: b", "a #b", "#c", "key:",
		"${X}", "$X", "{a}", "[a]", "*a", "&a", "!t", "|", ">", "@a", "`a`", "'q'", `"q"`, `back\slash`,
		"tab\there", "line\nbreak", "émoji 🚀", "\x00\x1b[31m", "", " lead", "trail ", "https://a.example.com/x?y=1&z=2#frag",
		"invalid \xff utf8", "%25", "?", ":", "a,b",
	} {
		doc := "k: " + scalar(s) + "\n"
		var got map[string]string
		if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
			t.Errorf("%q -> %q: %v", s, doc, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if got["k"] != want {
			t.Errorf("%q -> %q reads back as %q", s, doc, got["k"])
		}
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"user:pass":          "user",
		"Basic dXNlcjpwYXNz": "user",
		"dXNlcjpwYXNz":       "user",
		"not base64!":        "",
		":nouser":            "",
	} {
		got, ok := basicUser(in)
		if got != want || ok != (want != "") {
			t.Errorf("basicUser(%q) = %q, %v", in, got, ok)
		}
	}
	got := strings.Join(redactArgs([]string{"-y", "pkg", "--token", "t", "--password=p", "sk-abcdef", "--port", "8080"}), " ")
	if got != "-y pkg --token <redacted> --password=<redacted> <redacted> --port 8080" {
		t.Errorf("redactArgs = %q", got)
	}
	lc := newLineCounter("f", []byte("ab\nçé{x\n"))
	if p := lc.pos(7); p.Line != 2 || p.Col != 3 {
		t.Errorf("offset 7 (after two 2-byte runes) = %v, want 2:3", p)
	}
	for s, secret := range map[string]bool{
		"acme": false, "application/json": false, "Bearer x": true, "ghp_abc": true,
		"eyJhbGciOiJIUzI1NiJ9": true, "a1b2c3d4e5f6g7h8i9j0k1l2": true, "2025-06-18": false,
	} {
		if looksSecret(s) != secret {
			t.Errorf("looksSecret(%q) = %v", s, !secret)
		}
	}
	if tmpl, ok := shellTemplate("Basic ${env:X}:${Y}"); !ok || tmpl != "Basic ${X}:${Y}" {
		t.Errorf("shellTemplate = %q, %v", tmpl, ok)
	}
	if _, ok := shellTemplate("sk-secretsecret${X}"); ok {
		t.Error("shellTemplate showed text that looks like a secret")
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := Import("toml", "x", nil); err == nil || !strings.Contains(err.Error(), "litellm, mcp-json") {
		t.Errorf("unknown format: %v", err)
	}
}

// TestNotesNameTheSourceLine: what was lost says where it was.
func TestNotesNameTheSourceLine(t *testing.T) {
	out := string(importFixture(t, "litellm_docs.yaml", LiteLLM).Config)
	for _, want := range []string{
		"testdata/litellm_docs.yaml:26: circleci_mcp: not imported: stdio server",
		"testdata/litellm_docs.yaml:48: extra_headers (custom_key, x-custom-header)",
		"allowed_tools (line 49), access_groups (line 50)",
		"testdata/litellm_docs.yaml:41: spec_version 2025-06-18 not carried over",
		"testdata/litellm_docs.yaml:38: description: My custom MCP server",
	} {
		if !strings.Contains(flat(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestFixturesNoteTheirSource(t *testing.T) {
	for _, fx := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", fx.file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "https://") || !(strings.HasPrefix(string(data), "#") || strings.Contains(string(data), `"$comment"`)) {
			t.Errorf("%s does not say where it comes from", fx.file)
		}
	}
}

// TestAliasChainDoesNotBlowUp: a short file whose anchors each alias the
// previous one twice stands for 2^N nodes; the import must not walk them all.
func TestAliasChainDoesNotBlowUp(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-chain:\n  a0: &a0 [\"${X}\"]\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	b.WriteString("mcp_servers:\n  s:\n    url: https://s.example.com/mcp\n")
	done := make(chan error, 1)
	go func() { _, err := Import(LiteLLM, "chain.yaml", []byte(b.String())); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("import: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the import walks every alias expansion (2^40 nodes)")
	}
}

// terminalUnsafe finds the first rune of s that must not reach a terminal
// raw: a control but newline, DEL, a C1 control or a bidi control.
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

// TestCommentsCarryNoEscapes: the comments quote the source (unknown keys,
// descriptions, file names); whole escape sequences, C1 and bidi controls
// are gone from them, and a newline cannot end a comment early.
func TestCommentsCarryNoEscapes(t *testing.T) {
	src := "mcp_servers:\n  a:\n    url: https://a.example.com/mcp\n" +
		`    "x\e]0;pwned\a\e[2J\u009b31m\u202e": 1` + "\n" +
		`    description: "line one\nservers: [] \e]8;;https://evil.example/\e\\link\e]8;;\e\\ \u2066"` + "\n"
	res, err := Import(LiteLLM, "in\x1b]0;pwned\x07\u202e.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Config)
	if r, ok := terminalUnsafe(out); ok {
		t.Errorf("output carries %U raw:\n%s", r, out)
	}
	for _, bad := range []string{"pwned", "evil.example", "[2J", "31m", `\x1b`} {
		if strings.Contains(out, bad) {
			t.Errorf("output shows %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"in.yaml:4: unknown key x not carried over", "description: line one servers: [] link"} {
		if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(out, "#", "")), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
