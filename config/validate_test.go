package config

import (
	"strings"
	"testing"
	"time"
)

func TestServerValidateNormalises(t *testing.T) {
	s := Server{Name: "adhoc", URL: "https://mcp.example.com/mcp", Auth: Auth{Type: AuthOAuth2, ClientID: "c", ClientSecret: Secret{Env: "S"}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Transport != TransportAuto {
		t.Errorf("Transport = %q, want auto", s.Transport)
	}
	if s.Interval != DefaultInterval || s.Timeout != DefaultTimeout || s.Slow != DefaultSlow {
		t.Errorf("durations = %v %v %v", s.Interval, s.Timeout, s.Slow)
	}
	if s.Auth.Flow != FlowClientCredentials || s.Auth.Resource != s.URL || s.Auth.Method != "" {
		t.Errorf("auth = %+v", s.Auth)
	}

	n := Server{Name: "a", URL: "https://x"}
	if err := n.Validate(); err != nil || n.Auth.Type != AuthNone {
		t.Errorf("empty auth: %q, %v", n.Auth.Type, err)
	}
}

func TestServerValidateErrors(t *testing.T) {
	ok := func(mut func(*Server)) Server {
		s := Server{Name: "a", URL: "https://x"}
		mut(&s)
		return s
	}
	tests := []struct {
		name string
		srv  Server
		want []string
	}{
		{"empty", Server{}, []string{
			"name: required; give each server a unique name, e.g. name: billing",
			"url: required; e.g. https://mcp.example.com/mcp",
		}},
		{"negative timeout", ok(func(s *Server) { s.Timeout = -time.Second }),
			[]string{"timeout: duration must be positive; use a Go duration like 30s or 2m"}},
		{"bad header", ok(func(s *Server) { s.Headers = map[string]Secret{"X Y": {Literal: "v"}} }),
			[]string{"headers.X Y: invalid header name \"X Y\"; header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)"}},
		{"bad env name", ok(func(s *Server) { s.Auth = Auth{Type: AuthBearer, Token: Secret{Env: "A B"}} }),
			[]string{`auth.token: invalid env variable name "A B"; names match [A-Za-z_][A-Za-z0-9_]*`}},
		{"two secret sources", ok(func(s *Server) { s.Auth = Auth{Type: AuthBearer, Token: Secret{Env: "A", File: "f"}} }),
			[]string{"auth.token_file: secret has more than one of Env, File and Literal set; set exactly one"}},
		{"field of another type", ok(func(s *Server) { s.Auth = Auth{Type: AuthBasic, Username: "u", Scopes: []string{"x"}} }),
			[]string{"auth.scopes: only valid with type: oauth2; this auth has type: basic"}},
		{"unknown method", ok(func(s *Server) {
			s.Auth = Auth{Type: AuthOAuth2, ClientID: "c", ClientSecret: Secret{Env: "S"}, Method: "tls_client_auth"}
		}), []string{`auth.method: unknown value "tls_client_auth"; valid values: client_secret_basic, client_secret_post, private_key_jwt`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.srv.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
		})
	}
}

// Validate must return a nil error interface, not an empty Errors, or
// `if err != nil` would fire on valid servers.
func TestServerValidateNilError(t *testing.T) {
	s := Server{Name: "a", URL: "https://x"}
	if err := s.Validate(); err != nil {
		t.Fatalf("err = %#v", err)
	}
}

// A key with a dot in it (a header name) is still found by its path: the
// decoder records positions by path split at its last dot (decode.go).
func TestPositionOfAKeyWithADot(t *testing.T) {
	data := "servers:\n  - name: a\n    url: https://x\n    headers:\n      a.b: ok\n      X.Y: \"v\\r\"\n"
	_, _, err := Parse("c.yaml", []byte(data))
	want := "c.yaml:6:12: servers[0].headers.X.Y: contains a control character (U+000D); " + headerValueHint
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}
