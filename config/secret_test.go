package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSecretResolveEnv(t *testing.T) {
	s := Secret{Env: "MCPWATCH_TEST_SECRET"}

	t.Setenv("MCPWATCH_TEST_SECRET", "v4lue")
	if got, err := s.Resolve(); err != nil || got != "v4lue" {
		t.Errorf("set: %q, %v", got, err)
	}

	// Empty counts as unset: an empty credential only yields a confusing 401.
	t.Setenv("MCPWATCH_TEST_SECRET", "")
	if _, err := s.Resolve(); err == nil || err.Error() != "secret env MCPWATCH_TEST_SECRET is not set" {
		t.Errorf("empty: %v", err)
	}

	os.Unsetenv("MCPWATCH_TEST_SECRET") // t.Setenv restores it afterwards
	_, err := s.Resolve()
	if err == nil || err.Error() != "secret env MCPWATCH_TEST_SECRET is not set" {
		t.Errorf("unset: %v", err)
	}
}

func TestSecretResolveFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) Secret {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return Secret{File: p}
	}
	tests := []struct{ name, content, want string }{
		{"plain", "abc", "abc"},
		{"newline", "abc\n", "abc"},
		{"crlf", "abc\r\n", "abc"},
		{"only one newline is trimmed", "abc\n\n", "abc\n"},
		{"inner whitespace kept", " a b ", " a b "},
	}
	for _, tt := range tests {
		got, err := write(tt.name, tt.content).Resolve()
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}

	if _, err := write("empty", "\n").Resolve(); err == nil || err.Error() != "secret file "+filepath.Join(dir, "empty")+" is empty" {
		t.Errorf("empty file: %v", err)
	}

	missing := filepath.Join(dir, "missing")
	_, err := Secret{File: missing}.Resolve()
	if err == nil || err.Error() != "secret file "+missing+" cannot be read: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("missing file error does not wrap fs.ErrNotExist")
	}
}

func TestSecretResolveLiteralAndZero(t *testing.T) {
	if got, err := (Secret{Literal: "x"}).Resolve(); got != "x" || err != nil {
		t.Errorf("literal: %q, %v", got, err)
	}
	if got, err := (Secret{}).Resolve(); got != "" || err != nil {
		t.Errorf("zero: %q, %v", got, err)
	}
	if !(Secret{}).IsZero() || (Secret{Env: "A"}).IsZero() || (Secret{File: "f"}).IsZero() || (Secret{Literal: "l"}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestSecretString(t *testing.T) {
	tests := []struct {
		s    Secret
		want string
	}{
		{Secret{Env: "BILLING_SECRET"}, "${BILLING_SECRET}"},
		{Secret{File: "/run/secrets/billing"}, "file /run/secrets/billing"},
		{Secret{Literal: "hunter2"}, "(literal)"},
		{Secret{}, ""},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// The literal must not escape through any way a config value gets printed.
func TestSecretNeverPrintsLiteral(t *testing.T) {
	const lit = "hunter2-literal"
	s := Secret{Literal: lit}
	srv := Server{
		Name: "a", URL: "https://x",
		Headers: map[string]Secret{"X-Key": s},
		Auth:    Auth{Type: AuthOAuth2, ClientSecret: s, Token: s, Password: s, Value: s},
	}
	f := &File{Servers: []Server{srv}}

	var outputs []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs, fmt.Sprintf(format, s), fmt.Sprintf(format, srv), fmt.Sprintf(format, f), fmt.Sprintf(format, &srv))
	}
	outputs = append(outputs, fmt.Sprint(s), fmt.Sprintln(srv))
	j, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "secret", s, "server", srv)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "secret", s)
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		if strings.Contains(out, lit) {
			t.Errorf("literal leaked: %s", out)
		}
	}
	// Handlers other than slog's own may reflect into values; LogValue
	// stops them first.
	if v := s.LogValue(); v.String() != "(literal)" {
		t.Errorf("LogValue = %v", v)
	}
	if got := fmt.Sprintf("%#v", s); got != `config.Secret{Literal:"(redacted)"}` {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprintf("%#v", Secret{Env: "A"}); got != `config.Secret{Env:"A"}` {
		t.Errorf("%%#v = %s", got)
	}
	if !strings.Contains(string(j), `"ClientSecret":"(literal)"`) {
		t.Errorf("JSON does not show the reference: %s", j)
	}
}

// Errors and warnings about a file with a literal secret name the field,
// never the value.
func TestParseNeverEchoesLiteralSecrets(t *testing.T) {
	const lit = "hunter2-literal"
	src := "servers:\n  - name: a\n    url: https://u:" + lit + "@x\n    auth:\n      type: basic\n      password: " + lit + "\n      token: " + lit + "\n"
	_, warns, err := Parse("c.yaml", []byte(src))
	if err == nil {
		t.Fatal("want errors")
	}
	out := err.Error()
	for _, w := range warns {
		out += "\n" + w.String()
	}
	if strings.Contains(out, lit) {
		t.Errorf("literal leaked:\n%s", out)
	}
	if len(warns) != 2 {
		t.Errorf("want 2 literal-secret warnings, got %v", warns)
	}
}

func TestExpandEnv(t *testing.T) {
	t.Setenv("MCPW_CID", "client-7")
	t.Setenv("MCPW_EMPTY", "")
	for in, want := range map[string]string{"${MCPW_CID}": "client-7", "plain": "plain", "x-${MCPW_CID}": "x-${MCPW_CID}", "${not a name}": "${not a name}"} {
		if got, err := ExpandEnv(in); err != nil || got != want {
			t.Errorf("ExpandEnv(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"${MCPW_EMPTY}", "${MCPW_SURELY_UNSET_X}"} {
		if _, err := ExpandEnv(in); err == nil || !strings.Contains(err.Error(), "is not set") {
			t.Errorf("ExpandEnv(%q): err %v, want 'is not set'", in, err)
		}
	}
}

// TestClientIDReferenceChecked: a client_id reference is checked at load
// time like a secret's, with its position.
func TestClientIDReferenceChecked(t *testing.T) {
	src := "servers:\n" +
		"  - {name: a, url: \"https://x.example/mcp\", auth: {type: oauth2, client_secret: \"${S}\", client_id: \"${bad-name}\"}}\n" +
		"  - {name: b, url: \"https://y.example/mcp\", auth: {type: oauth2, client_secret: \"${S}\", client_id: \"app-${ID}\"}}\n" +
		"  - {name: c, url: \"https://z.example/mcp\", auth: {type: oauth2, client_secret: \"${S}\", client_id: \"${GOOD_ID}\"}}\n"
	_, warnings, err := Parse("c.yaml", []byte(src))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "c.yaml:2:") ||
		!strings.Contains(errs[0].Error(), `servers[0].auth.client_id: invalid env variable name "bad-name"`) {
		t.Fatalf("errors = %v", err)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0].String(), "c.yaml:3:") || !strings.Contains(warnings[0].String(), "servers[1].auth.client_id") {
		t.Fatalf("warnings = %v", warnings)
	}
}

func TestValidEnvName(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	for _, s := range []string{"", "A", "a", "_", "9", "A9", "_9", "9A", "A-B", "A B", "Ä", "a.b", "ABC_def_123", "${A}", "A\n"} {
		if got, want := validEnvName(s), re.MatchString(s); got != want {
			t.Errorf("validEnvName(%q) = %v, want %v", s, got, want)
		}
	}
}
