package config

import (
	"errors"
	"strings"
	"testing"
)

// parseErrs parses src as c.yaml and returns one string per error.
func parseErrs(t *testing.T, src string) []string {
	t.Helper()
	f, _, err := Parse("c.yaml", []byte(src))
	if err == nil {
		t.Fatalf("no error; parsed %d servers", len(f.Servers))
	}
	if f != nil {
		t.Errorf("File returned alongside errors")
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	return strings.Split(err.Error(), "\n")
}

func TestParseErrors(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://x\n" // line 3 ends the common prefix
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"yaml syntax", "servers:\n  - name: a\n    url: [x\n",
			[]string{`c.yaml:3:10: invalid YAML: sequence end token ']' not found`}},
		{"tab indentation", "servers:\n\t- name: a\n",
			[]string{`c.yaml:2:1: invalid YAML: found character '\t' that cannot start any token`}},
		{"unquoted env ref in flow mapping", srv + "    auth: {type: bearer, token: ${T}}\n",
			[]string{`c.yaml:4:34: invalid YAML: ',' or '}' must be specified; inside {…} or […], quote env references: "${NAME}"`}},
		{"second document", srv + "---\nb: 2\n",
			[]string{`c.yaml:5:1: a config holds one YAML document; remove this second document (after ---)`}},
		{"second document, and a problem in the first", srv + "    colour: red\n---\nb: 2\n",
			[]string{`c.yaml:4:5: servers[0].colour: unknown key; valid keys: name, url, transport, headers, tags, interval, timeout, slow, max_message_size, disabled, auth, command, args, env, cwd, tls, cert_warning, inventory`,
				`c.yaml:6:1: a config holds one YAML document; remove this second document (after ---)`}},
		{"empty file", "",
			[]string{`c.yaml:1:1: servers: no servers configured; add at least one under servers:`}},
		{"comments only", "# nothing yet\n",
			[]string{`c.yaml:1:1: servers: no servers configured; add at least one under servers:`}},
		{"no servers key", "concurrency: 4\n",
			[]string{`c.yaml:1:1: servers: no servers configured; add at least one under servers:`}},
		{"empty servers", "servers: []\n",
			[]string{`c.yaml:1:10: servers: no servers configured; add at least one under servers:`}},
		{"null servers", "servers:\n",
			[]string{`c.yaml:1:1: servers: no servers configured; add at least one under servers:`}},
		{"root is a list", "- name: a\n",
			[]string{`c.yaml:1:1: expected a mapping with a servers: list, got a list`}},
		{"servers is a mapping", "servers: {name: a}\n",
			[]string{`c.yaml:1:10: servers: expected a list, got a mapping; start each server with "- name: …"`}},
		{"server is a string", "servers:\n  - just a url\n",
			[]string{`c.yaml:2:3: servers[0]: expected a mapping, got a string; each server needs at least name: and url:`}},
		{"unknown top key", "servrs: []\n" + srv,
			[]string{`c.yaml:1:1: servrs: unknown key; did you mean servers?`}},
		{"unknown key without suggestion", srv + "    colour: red\n",
			[]string{`c.yaml:4:5: servers[0].colour: unknown key; valid keys: name, url, transport, headers, tags, interval, timeout, slow, max_message_size, disabled, auth, command, args, env, cwd, tls, cert_warning, inventory`}},
		{"did you mean, edit distance", srv + "    auth:\n      type: oauth2\n      clientid: x\n      client_secret: ${S}\n",
			[]string{
				`c.yaml:4:5: servers[0].auth.client_id: required for flow: client_credentials`,
				`c.yaml:6:7: servers[0].auth.clientid: unknown key; did you mean client_id?`,
			}},
		{"did you mean, prefix", srv + "    tim: 5s\n",
			[]string{`c.yaml:4:5: servers[0].tim: unknown key; did you mean timeout?`}},
		{"duplicate key", srv + "    name: b\n",
			[]string{`c.yaml:4:5: servers[0].name: duplicate key; first defined at line 2`}},
		{"missing name and url", "servers:\n  - transport: sse\n",
			[]string{
				`c.yaml:2:3: servers[0].name: required; give each server a unique name, e.g. name: billing`,
				`c.yaml:2:3: servers[0].url: required; e.g. https://mcp.example.com/mcp`,
			}},
		{"null name", "servers:\n  - name:\n    url: https://x\n",
			[]string{`c.yaml:2:10: servers[0].name: required; give each server a unique name, e.g. name: billing`}},
		{"duplicate names", srv + "  - name: a\n    url: https://y\n",
			[]string{`c.yaml:4:11: servers[1].name: duplicate name "a"; first used by servers[0] at line 2; names must be unique`}},
		{"relative url", "servers:\n  - name: a\n    url: mcp.example.com/mcp\n",
			[]string{`c.yaml:3:10: servers[0].url: "mcp.example.com/mcp" is not an absolute http or https URL; e.g. https://mcp.example.com/mcp`}},
		{"url without host", "servers:\n  - name: a\n    url: https:///mcp\n",
			[]string{`c.yaml:3:10: servers[0].url: "https:///mcp" has no host; e.g. https://mcp.example.com/mcp`}},
		{"unparseable url", "servers:\n  - name: a\n    url: \"https://[::1\"\n",
			[]string{`c.yaml:3:10: servers[0].url: not a valid URL: missing ']' in host; e.g. https://mcp.example.com/mcp`}},
		{"url with credentials", "servers:\n  - name: a\n    url: https://u:hunter2@x\n",
			[]string{`c.yaml:3:10: servers[0].url: must not contain credentials; the URL is shown on screen and in metrics; use auth: instead`}},
		{"url is a list", "servers:\n  - name: a\n    url: [https://x]\n",
			[]string{`c.yaml:3:10: servers[0].url: expected a string, got a list`}},
		{"bad transport", srv + "    transport: websocket\n",
			[]string{`c.yaml:4:16: servers[0].transport: unknown value "websocket"; valid values: auto, http, sse, stdio`}},
		{"stdio without command", "servers:\n  - name: a\n    transport: stdio\n",
			[]string{`c.yaml:2:3: servers[0].command: required for transport: stdio; the program to start, e.g. command: npx with args: [-y, some-mcp-server]`}},
		{"stdio with url", "servers:\n  - name: a\n    transport: stdio\n    command: srv\n    url: https://x\n",
			[]string{`c.yaml:5:5: servers[0].url: not used with transport: stdio; a stdio server is started from command:; remove url`}},
		{"stdio with headers and auth", "servers:\n  - name: a\n    transport: stdio\n    command: srv\n    headers: {X-A: b}\n    auth: {type: bearer, token: \"${T}\"}\n",
			[]string{
				`c.yaml:5:5: servers[0].headers: only valid with transport: http or sse; a stdio server takes its settings through env:`,
				`c.yaml:6:5: servers[0].auth: only valid with transport: http or sse; a stdio server gets credentials through env:, e.g. API_KEY: ${API_KEY}`,
			}},
		{"command without transport", srv + "    command: npx\n",
			[]string{`c.yaml:4:5: servers[0].command: only valid with transport: stdio; set transport: stdio`}},
		{"stdio fields on sse", srv + "    transport: sse\n    args: [a]\n    env: {A: b}\n    cwd: /tmp\n",
			[]string{
				`c.yaml:5:5: servers[0].args: only valid with transport: stdio; this server has transport: sse`,
				`c.yaml:6:5: servers[0].env: only valid with transport: stdio; this server has transport: sse`,
				`c.yaml:7:5: servers[0].cwd: only valid with transport: stdio; this server has transport: sse`,
			}},
		{"stdio env", "servers:\n  - name: a\n    transport: stdio\n    command: srv\n    env:\n      \"A-B\": x\n      KEY: \"${1K}\"\n      EMPTY:\n",
			[]string{
				`c.yaml:6:7: servers[0].env.A-B: invalid variable name "A-B"; names match [A-Za-z_][A-Za-z0-9_]*`,
				`c.yaml:7:12: servers[0].env.KEY: invalid env variable name "1K"; names match [A-Za-z_][A-Za-z0-9_]*`,
				`c.yaml:8:7: servers[0].env.EMPTY: missing value; write "" for an empty variable`,
			}},
		{"stdio args not a list", "servers:\n  - name: a\n    transport: stdio\n    command: srv\n    args: --verbose\n",
			[]string{`c.yaml:5:11: servers[0].args: expected a list of strings, got a string; write args: [a, b]`}},
		{"command misspelt", "servers:\n  - name: a\n    transport: stdio\n    comand: srv\n",
			[]string{
				`c.yaml:2:3: servers[0].command: required for transport: stdio; the program to start, e.g. command: npx with args: [-y, some-mcp-server]`,
				`c.yaml:4:5: servers[0].comand: unknown key; did you mean command?`,
			}},
		{"allow_stdio not a bool", "allow_stdio: yes\n" + srv,
			[]string{`c.yaml:1:14: allow_stdio: expected true or false, got a string`}},
		{"allow_stdio misspelt", "allow_stdo: true\n" + srv,
			[]string{`c.yaml:1:1: allow_stdo: unknown key; did you mean allow_stdio?`}},
		{"duration without unit", srv + "    interval: 30\n",
			[]string{`c.yaml:4:15: servers[0].interval: invalid duration "30"; use a Go duration like 30s or 2m`}},
		{"duration garbage", "defaults: {timeout: soon}\n" + srv,
			[]string{`c.yaml:1:21: defaults.timeout: invalid duration "soon"; use a Go duration like 30s or 2m`}},
		{"zero duration", srv + "    timeout: 0s\n",
			[]string{`c.yaml:4:14: servers[0].timeout: duration must be positive, got "0s"; use a Go duration like 30s or 2m`}},
		{"negative duration", "defaults:\n  slow: -1s\n" + srv,
			[]string{`c.yaml:2:9: defaults.slow: duration must be positive, got "-1s"; use a Go duration like 30s or 2m`}},
		{"defaults is a list", "defaults: [30s]\n" + srv,
			[]string{`c.yaml:1:11: defaults: expected a mapping, got a list`}},
		{"concurrency zero", "concurrency: 0\n" + srv,
			[]string{`c.yaml:1:14: concurrency: must be at least 1, got 0`}},
		{"per_host quoted", "per_host: \"4\"\n" + srv,
			[]string{`c.yaml:1:11: per_host: expected an integer, got a string`}},
		{"per_host float", "per_host: 1.5\n" + srv,
			[]string{`c.yaml:1:11: per_host: expected an integer, got a number`}},
		{"disabled yes", srv + "    disabled: yes\n",
			[]string{`c.yaml:4:15: servers[0].disabled: expected true or false, got a string`}},
		{"tags is a string", srv + "    tags: prod\n",
			[]string{`c.yaml:4:11: servers[0].tags: expected a list of strings, got a string; write tags: [a, b]`}},
		{"tag is a mapping", srv + "    tags: [prod, {eu: 1}, \" \"]\n",
			[]string{
				`c.yaml:4:18: servers[0].tags[1]: expected a string, got a mapping`,
				`c.yaml:4:27: servers[0].tags[2]: empty tag`,
			}},
		{"header name with space", srv + "    headers: {\"X Tenant\": acme}\n",
			[]string{"c.yaml:4:15: servers[0].headers.X Tenant: invalid header name \"X Tenant\"; header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)"}},
		{"header name with colon", srv + "    headers:\n      \"X-Tenant:\": acme\n",
			[]string{"c.yaml:5:7: servers[0].headers.X-Tenant:: invalid header name \"X-Tenant:\"; header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)"}},
		{"header case duplicate", srv + "    headers:\n      X-Tenant: a\n      x-tenant: b\n",
			[]string{`c.yaml:6:7: servers[0].headers.x-tenant: duplicate header; same as X-Tenant; header names are case-insensitive`}},
		{"header without value", srv + "    headers:\n      X-Tenant:\n",
			[]string{`c.yaml:5:7: servers[0].headers.X-Tenant: missing value; write "" for an empty header`}},
		{"header bad env name", srv + "    headers: {X-Key: \"${1KEY}\"}\n",
			[]string{`c.yaml:4:22: servers[0].headers.X-Key: invalid env variable name "1KEY"; names match [A-Za-z_][A-Za-z0-9_]*`}},
		{"headers is a list", srv + "    headers: [X-Tenant]\n",
			[]string{`c.yaml:4:14: servers[0].headers: expected a mapping, got a list`}},
		{"auth is a string", srv + "    auth: bearer\n",
			[]string{`c.yaml:4:11: servers[0].auth: expected a mapping, got a string`}},
		{"bad auth type", srv + "    auth: {type: Bearer, token: \"${T}\"}\n",
			[]string{`c.yaml:4:18: servers[0].auth.type: unknown value "Bearer"; valid values: none, bearer, header, basic, oauth2`}},
		{"field of another type", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      token: ${T}\n",
			[]string{`c.yaml:8:7: servers[0].auth.token: only valid with type: bearer; this auth has type: oauth2`}},
		{"field without type", srv + "    auth:\n      token_file: /run/t\n",
			[]string{`c.yaml:5:7: servers[0].auth.token_file: only valid with type: bearer; set type: bearer`}},
		{"bearer without token", srv + "    auth: {type: bearer}\n",
			[]string{`c.yaml:4:5: servers[0].auth.token: required for type: bearer; set token: ${ENV} or token_file: PATH`}},
		{"bad env name", srv + "    auth:\n      type: bearer\n      token: ${MY-TOKEN}\n",
			[]string{`c.yaml:6:14: servers[0].auth.token: invalid env variable name "MY-TOKEN"; names match [A-Za-z_][A-Za-z0-9_]*`}},
		{"empty env ref", srv + "    auth:\n      type: bearer\n      token: ${}\n",
			[]string{`c.yaml:6:14: servers[0].auth.token: empty env reference ${}; write ${NAME}`}},
		{"empty secret file path", srv + "    auth:\n      type: bearer\n      token_file: \"\"\n",
			[]string{`c.yaml:6:19: servers[0].auth.token_file: empty file path`}},
		{"header auth", srv + "    auth: {type: header, header: \"X Key\"}\n",
			[]string{
				"c.yaml:4:5: servers[0].auth.value: required for type: header; set value: ${ENV} or value_file: PATH",
				"c.yaml:4:34: servers[0].auth.header: invalid header name \"X Key\"; header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)",
			}},
		{"header auth without name", srv + "    auth: {type: header, value_file: v}\n",
			[]string{`c.yaml:4:5: servers[0].auth.header: required for type: header; the header name, e.g. header: X-Api-Key`}},
		{"basic without username", srv + "    auth: {type: basic, password_file: p}\n",
			[]string{`c.yaml:4:5: servers[0].auth.username: required for type: basic`}},
		{"basic username with colon", srv + "    auth: {type: basic, username: \"a:b\"}\n",
			[]string{`c.yaml:4:35: servers[0].auth.username: must not contain a colon`}},
		{"oauth2 missing client", srv + "    auth:\n      type: oauth2\n",
			[]string{
				`c.yaml:4:5: servers[0].auth.client_id: required for flow: client_credentials`,
				`c.yaml:4:5: servers[0].auth.client_secret: required for flow: client_credentials; set client_secret: ${ENV} or client_secret_file: PATH, or use method: private_key_jwt with private_key_file`,
			}},
		{"client_secret and client_secret_file", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      client_secret_file: /run/s\n",
			[]string{`c.yaml:8:7: servers[0].auth.client_secret_file: both client_secret and client_secret_file are set; keep one`}},
		{"bad method", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      method: client_secret\n",
			[]string{`c.yaml:8:15: servers[0].auth.method: unknown value "client_secret"; valid values: client_secret_basic, client_secret_post, private_key_jwt`}},
		{"bad flow", srv + "    auth:\n      type: oauth2\n      flow: device_code\n",
			[]string{`c.yaml:6:13: servers[0].auth.flow: unknown value "device_code"; valid values: client_credentials, authorization_code`}},
		{"bad token_url", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      token_url: /oauth/token\n",
			[]string{`c.yaml:8:18: servers[0].auth.token_url: "/oauth/token" is not an absolute http or https URL; e.g. https://mcp.example.com/mcp`}},
		{"bad resource", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      resource: https://x#frag\n",
			[]string{`c.yaml:8:17: servers[0].auth.resource: must be an absolute URI without a fragment; usually the server URL, which is the default`}},
		{"scopes as one string", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      scopes: mcp:read mcp:write\n",
			[]string{`c.yaml:8:15: servers[0].auth.scopes: expected a list of strings, got a string; write scopes: [a, b]`}},
		{"scope with space", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      scopes: [\"mcp:read mcp:write\"]\n",
			[]string{`c.yaml:8:16: servers[0].auth.scopes[0]: invalid scope "mcp:read mcp:write"; list each scope as its own item, without spaces`}},
		{"private_key_jwt without key", srv + "    auth:\n      type: oauth2\n      client_id: c\n      method: private_key_jwt\n",
			[]string{`c.yaml:4:5: servers[0].auth.private_key_file: required with method: private_key_jwt; the client's PEM private key`}},
		{"private_key_jwt with secret", srv + "    auth:\n      type: oauth2\n      client_id: c\n      method: private_key_jwt\n      private_key_file: k.pem\n      client_secret_file: s\n",
			[]string{`c.yaml:9:7: servers[0].auth.client_secret_file: not used with method: private_key_jwt; remove it, or choose client_secret_basic or client_secret_post`}},
		{"private_key_file without method", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      private_key_file: k.pem\n",
			[]string{`c.yaml:8:7: servers[0].auth.private_key_file: only valid with method: private_key_jwt; set method: private_key_jwt`}},
		{"assertion_audience without private_key_jwt", srv + "    auth:\n      type: oauth2\n      client_id: c\n      client_secret: ${S}\n      assertion_audience: https://as.example\n",
			[]string{`c.yaml:8:7: servers[0].auth.assertion_audience: only valid with method: private_key_jwt; set method: private_key_jwt`}},
		{"assertion_audience not a URI", srv + "    auth:\n      type: oauth2\n      client_id: c\n      method: private_key_jwt\n      private_key_file: k.pem\n      assertion_audience: as.example\n",
			[]string{`c.yaml:9:27: servers[0].auth.assertion_audience: must be an absolute URI without a fragment; the authorization server's issuer, e.g. https://auth.example.com`}},
		{"assertion_audience misspelt", srv + "    auth:\n      type: oauth2\n      client_id: c\n      method: private_key_jwt\n      private_key_file: k.pem\n      assertion_audiance: https://as.example\n",
			[]string{`c.yaml:9:7: servers[0].auth.assertion_audiance: unknown key; did you mean assertion_audience?`}},
		{"assertion_audience of another type", srv + "    auth:\n      type: bearer\n      token: ${T}\n      assertion_audience: https://as.example\n",
			[]string{`c.yaml:7:7: servers[0].auth.assertion_audience: only valid with type: oauth2; this auth has type: bearer`}},
		{"unknown alias", srv + "    auth: *shared\n",
			[]string{`c.yaml:4:11: servers[0].auth: unknown alias *shared; define it first with &shared`}},
		{"alias before anchor", "servers:\n  - name: a\n    url: https://x\n    auth: *s\nx-s: &s {type: none}\n",
			[]string{`c.yaml:4:11: servers[0].auth: unknown alias *s; &s is defined after this alias; YAML anchors must come first`}},
		{"merge of a string", srv + "    auth:\n      <<: oops\n",
			[]string{`c.yaml:5:11: servers[0].auth: << merges mappings only, got a string`}},
		{"non-string key", srv + "    [a]: 1\n",
			[]string{`c.yaml:4:5: servers[0]: keys must be plain strings, got a list`}},
		{"unknown aliases, each reported", "# *s in a comment\nservers:\n  - name: a\n    url: https://x\n    tags: [\"*t\", *t]\n    auth: *s\n",
			[]string{`c.yaml:5:18: servers[0].tags[1]: unknown alias *t; define it first with &t`,
				`c.yaml:6:11: servers[0].auth: unknown alias *s; define it first with &s`}},
		{"too many unknown aliases", srv + "    tags: [*a1, *a2, *a3, *a4, *a5, *a6, *a7, *a8, *a9]\n",
			[]string{`c.yaml:4:52: unknown alias *a9, and more than 8 unknown aliases before it; define each anchor (&name) before its aliases (*name)`}},
		{"closed brackets nested too deep", "x-a: " + strings.Repeat("[", 101) + strings.Repeat("]", 101) + "\n" + srv,
			[]string{`c.yaml:1:106: brackets nested more than 100 deep; a config never needs this; check for unbalanced [ or {`}},
		{"deep nesting", "servers: " + strings.Repeat("[", 100000),
			[]string{`c.yaml:1:110: brackets nested more than 100 deep; a config never needs this; check for unbalanced [ or {`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrs(t, tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tt.want, "\n      "))
			}
		})
	}
}

// A file with many mistakes reports all of them, in file order, in one go.
func TestParseReportsAllErrorsAtOnce(t *testing.T) {
	src := `concurrency: 0
servers:
  - name: billing
    url: ftp://x
    auth:
      type: oauth2
      clientid: x
      client_secret: ${S}
      method: client_secret
  - name: billing
    url: https://x
    transport: websocket
    interval: 5
`
	want := []string{
		`c.yaml:1:14: concurrency: must be at least 1, got 0`,
		`c.yaml:4:10: servers[0].url: "ftp://x" is not an absolute http or https URL; e.g. https://mcp.example.com/mcp`,
		`c.yaml:5:5: servers[0].auth.client_id: required for flow: client_credentials`,
		`c.yaml:7:7: servers[0].auth.clientid: unknown key; did you mean client_id?`,
		`c.yaml:9:15: servers[0].auth.method: unknown value "client_secret"; valid values: client_secret_basic, client_secret_post, private_key_jwt`,
		`c.yaml:10:11: servers[1].name: duplicate name "billing"; first used by servers[0] at line 3; names must be unique`,
		`c.yaml:12:16: servers[1].transport: unknown value "websocket"; valid values: auto, http, sse, stdio`,
		`c.yaml:13:15: servers[1].interval: invalid duration "5"; use a Go duration like 30s or 2m`,
	}
	got := parseErrs(t, src)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func TestErrorFormatting(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Pos: Position{File: "c.yaml", Line: 12, Col: 7}, Path: "servers[2].auth.method", Msg: `unknown value "client_secret"`, Hint: "valid values: a, b"},
			`c.yaml:12:7: servers[2].auth.method: unknown value "client_secret"; valid values: a, b`},
		{&Error{Path: "name", Msg: "required"}, "name: required"},
		{&Error{Pos: Position{Line: 3, Col: 1}, Msg: "invalid YAML"}, "3:1: invalid YAML"},
		{&Error{Pos: Position{File: "c.yaml"}, Msg: "invalid YAML"}, "c.yaml: invalid YAML"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	w := Warning{Pos: Position{File: "c.yaml", Line: 2, Col: 5}, Path: "defaults.slow", Msg: "too slow"}
	if got := w.String(); got != "c.yaml:2:5: defaults.slow: too slow" {
		t.Errorf("Warning.String() = %q", got)
	}
}

func TestErrorsSortedByPosition(t *testing.T) {
	es := Errors{
		{Pos: Position{File: "c", Line: 9, Col: 1}, Msg: "c"},
		{Pos: Position{File: "c", Line: 2, Col: 8}, Msg: "b"},
		{Pos: Position{File: "c", Line: 2, Col: 3}, Msg: "a"},
	}
	if got, want := es.Error(), "c:2:3: a\nc:2:8: b\nc:9:1: c"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if es[0].Msg != "c" {
		t.Error("Error() reordered the receiver")
	}
}

// TestErrorsEchoNoEscapes: an error or warning that quotes the file (a key,
// a value, the file's own name) can neither steer the terminal nor start a
// line of its own.
func TestErrorsEchoNoEscapes(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e"
	e := &Error{Pos: Position{File: "c" + evil + ".yaml", Line: 4, Col: 5}, Path: "servers[0].tra" + evil + "sport",
		Msg: "unknown key " + evil + "\nc.yaml:1:1: forged", Hint: "did you mean " + evil + "transport?"}
	if got, want := e.Error(), "c.yaml:4:5: servers[0].trasport: unknown key c.yaml:1:1: forged; did you mean transport?"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	w := Warning{Pos: Position{File: "c.yaml", Line: 2, Col: 5}, Path: "servers[0].name", Msg: "a" + evil + "b"}
	if got, want := w.String(), "c.yaml:2:5: servers[0].name: ab"; got != want {
		t.Errorf("Warning.String() = %q, want %q", got, want)
	}
	if got, want := (Errors{e, e}).Error(), e.Error()+"\n"+e.Error(); got != want {
		t.Errorf("Errors.Error() = %q, want one line per error", got)
	}

	// The same through Parse: YAML's double-quoted escapes put the controls
	// into the key itself.
	errs := parseErrs(t, "servers:\n  - name: a\n    url: https://x\n    \"tra\\e]0;pwned\\asport\\u009b31m\\u202e\": http\n")
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "c.yaml:4:5: servers[0].trasport: unknown key; ") {
		t.Errorf("errors = %q", errs)
	}
}
