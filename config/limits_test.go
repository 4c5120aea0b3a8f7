package config

import (
	"strings"
	"testing"
	"time"
)

// Values that load but would hurt: checks a thousand times a second, a
// billion probes in flight, names and headers that carry terminal controls
// or split a request. Each is an error at its place with what would be valid.
func TestParseLimits(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://x\n" // line 3 ends the common prefix
	const textHint = "names are shown on screen and in logs; use printable text"
	const headerHint = "a header value is sent as it is: CR or LF would end the header and start another; use printable text, or ${ENV}"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"interval below 1s", srv + "    interval: 1ns\n",
			[]string{`c.yaml:4:15: servers[0].interval: must be at least 1s, got "1ns"; more than one check a second only loads the server; use a Go duration like 30s or 2m`}},
		{"default interval below 1s", "defaults: {interval: 500ms}\n" + srv,
			[]string{`c.yaml:1:22: defaults.interval: must be at least 1s, got "500ms"; more than one check a second only loads the server; use a Go duration like 30s or 2m`}},
		{"timeout below 100ms", srv + "    timeout: 10ms\n    slow: 5ms\n",
			[]string{`c.yaml:4:14: servers[0].timeout: must be at least 100ms, got "10ms"; a check must connect, shake hands and get an answer in that time; use a Go duration like 30s or 2m`}},
		{"concurrency above 4096", "concurrency: 1000000000\n" + srv,
			[]string{`c.yaml:1:14: concurrency: must be at most 4096, got 1000000000; 4096 probes in flight check 10,000 servers that all time out at 10s within a 30s interval; more only exhaust file descriptors`}},
		{"concurrency past int64", "concurrency: 99999999999999999999\n" + srv,
			[]string{`c.yaml:1:14: concurrency: must be at most 4096, got 99999999999999999999; 4096 probes in flight check 10,000 servers that all time out at 10s within a 30s interval; more only exhaust file descriptors`}},
		{"per_host above 256", "per_host: 1000\n" + srv,
			[]string{`c.yaml:1:11: per_host: must be at most 256, got 1000; more checks at once against one host is a load test, not a health check`}},
		{"escape sequence in a name", "servers:\n  - name: \"a\\e]0;pwned\\ab\"\n    url: https://x\n",
			[]string{`c.yaml:2:11: servers[0].name: contains a control character (U+001B); ` + textHint}},
		{"bidi override in a name", "servers:\n  - name: \"abc\\u202Etxt.exe\"\n    url: https://x\n",
			[]string{`c.yaml:2:11: servers[0].name: contains a bidirectional control (U+202E); ` + textHint}},
		{"C1 control in a name", "servers:\n  - name: \"a\\u009Bb\"\n    url: https://x\n",
			[]string{`c.yaml:2:11: servers[0].name: contains a control character (U+009B); ` + textHint}},
		{"DEL in a name", "servers:\n  - name: \"a\\x7Fb\"\n    url: https://x\n",
			[]string{`c.yaml:2:11: servers[0].name: contains a control character (U+007F); ` + textHint}},
		{"tab in a tag", srv + "    tags: [ok, \"a\\tb\"]\n",
			[]string{`c.yaml:4:16: servers[0].tags[1]: contains a control character (U+0009); ` + textHint}},
		{"isolate in a scope", srv + "    auth: {type: oauth2, client_id: c, client_secret: \"${S}\", scopes: [\"a\\u2066b\"]}\n",
			[]string{`c.yaml:4:72: servers[0].auth.scopes[0]: contains a bidirectional control (U+2066); ` + textHint}},
		{"newline in a username", srv + "    auth: {type: basic, username: \"u\\nx\", password: \"${P}\"}\n",
			[]string{`c.yaml:4:35: servers[0].auth.username: contains a control character (U+000A); ` + textHint}},
		{"control in a client_id", srv + "    auth: {type: oauth2, client_id: \"c\\x01\", client_secret: \"${S}\"}\n",
			[]string{`c.yaml:4:37: servers[0].auth.client_id: contains a control character (U+0001); ` + textHint}},
		{"CR LF in a header value", srv + "    headers: {X-Tenant: \"acme\\r\\nX-Injected: 1\"}\n",
			[]string{`c.yaml:4:25: servers[0].headers.X-Tenant: contains a control character (U+000D); ` + headerHint}},
		{"bidi in a header value", srv + "    headers: {X-Tenant: \"a\\u200Fb\"}\n",
			[]string{`c.yaml:4:25: servers[0].headers.X-Tenant: contains a bidirectional control (U+200F); ` + headerHint}},
		{"LF in a literal bearer token", srv + "    auth: {type: bearer, token: \"t\\nX-Injected: 1\"}\n",
			[]string{`c.yaml:4:33: servers[0].auth.token: contains a control character (U+000A); ` + headerHint}},
		{"CR in a literal header value", srv + "    auth: {type: header, header: X-Api-Key, value: \"k\\r\"}\n",
			[]string{`c.yaml:4:52: servers[0].auth.value: contains a control character (U+000D); ` + headerHint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErrs(t, tt.src); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	// At the limits, and what the rules allow.
	for name, src := range map[string]string{
		"interval 1s, timeout 100ms":     srv + "    interval: 1s\n    timeout: 100ms\n    slow: 50ms\n",
		"concurrency 4096, per_host 256": "concurrency: 4096\nper_host: 256\n" + srv,
		"tab in a header value":          srv + "    headers: {X-A: \"a\\tb\"}\n",
		"printable Unicode":              "servers:\n  - name: \"caf\u00e9 \u65e5\u672c \U0001F600 \u05e9\u05dc\u05d5\u05dd\"\n    url: https://x\n    tags: [\u00fcber]\n    headers: {X-A: \"\u00e9\"}\n",
		"env reference as header value":  srv + "    headers: {X-A: \"${A}\"}\n",
	} {
		t.Run(name, func(t *testing.T) { mustParse(t, "c.yaml", src) })
	}
}

// Servers built in code (the ad-hoc check URL mode, the demo) obey the
// same rules, including text that never passed through a file.
func TestServerValidateLimits(t *testing.T) {
	ok := func(mut func(*Server)) Server {
		s := Server{Name: "a", URL: "https://x"}
		mut(&s)
		return s
	}
	for _, tt := range []struct {
		name string
		srv  Server
		want string
	}{
		{"interval", ok(func(s *Server) { s.Interval = time.Millisecond }),
			"interval: must be at least 1s, got 1ms; more than one check a second only loads the server; use a Go duration like 30s or 2m"},
		{"timeout", ok(func(s *Server) { s.Timeout = 50 * time.Millisecond; s.Slow = time.Millisecond }),
			"timeout: must be at least 100ms, got 50ms; a check must connect, shake hands and get an answer in that time; use a Go duration like 30s or 2m"},
		{"non-UTF-8 name", ok(func(s *Server) { s.Name = "caf\xe9" }),
			"name: contains invalid UTF-8 (byte 0xE9); names are shown on screen and in logs; use printable text"},
		{"header value with LF", ok(func(s *Server) { s.Headers = map[string]Secret{"X-A": {Literal: "a\nb"}} }),
			"headers.X-A: contains a control character (U+000A); a header value is sent as it is: CR or LF would end the header and start another; use printable text, or ${ENV}"},
		{"header value not UTF-8", ok(func(s *Server) { s.Headers = map[string]Secret{"X-A": {Literal: "\xff"}} }),
			"headers.X-A: contains invalid UTF-8 (byte 0xFF); a header value is sent as it is: CR or LF would end the header and start another; use printable text, or ${ENV}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.srv.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("got:  %v\nwant: %s", err, tt.want)
			}
		})
	}
	// U+FFFD written out is a character like any other.
	if s := ok(func(s *Server) { s.Name = "a\ufffdb" }); s.Validate() != nil {
		t.Errorf("U+FFFD rejected: %v", s.Validate())
	}
}
