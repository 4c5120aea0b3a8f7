package demo

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// normalized drops what only a file has (positions) so a parsed config can be
// compared with one built in code.
func normalized(c *config.File) *config.File {
	c.Digest = [32]byte{} // of the text, which Config() never had
	for i := range c.Servers {
		c.Servers[i].Pos = config.Position{}
	}
	return c
}

func TestYAMLRoundTrips(t *testing.T) {
	f := startFleet(t)
	data := f.YAML()
	parsed, warns, err := config.Parse(ConfigPath, data)
	if err != nil {
		t.Fatalf("the printed config does not load:\n%v\n%s", err, data)
	}
	if len(warns) > 0 {
		t.Errorf("warnings: %v", warns)
	}
	if got, want := normalized(parsed), f.Config(); !reflect.DeepEqual(got, want) {
		t.Errorf("parsed config differs from Config()\n got %+v\nwant %+v", got, want)
	}
	// Every server is explained for the person reading --print-config.
	if n := bytes.Count(data, []byte("\n  # ")); n < len(f.cfg.Servers) {
		t.Errorf("%d comment blocks for %d servers", n, len(f.cfg.Servers))
	}
}

func TestYAMLHoldsSecretsOnlyByReference(t *testing.T) {
	f := startFleet(t)
	data := f.YAML()
	for name, v := range f.secrets {
		if bytes.Contains(data, []byte(v)) {
			t.Errorf("the value of %s is in the printed config", name)
		}
		if !bytes.Contains(data, []byte(`"${`+name+`}"`)) {
			t.Errorf("no reference to %s", name)
		}
	}
}

// The emitter quotes whatever YAML would read back differently, so the
// round trip does not depend on the fleet's tame names.
func TestWriteFileQuotesAwkwardValues(t *testing.T) {
	defs := config.Defaults{Interval: time.Minute, Timeout: 10 * time.Second, Slow: 1500 * time.Millisecond, MaxMessageSize: config.DefaultMaxMessageSize}
	c := &config.File{Path: "x.yaml", Defaults: defs, Concurrency: 3, PerHost: 1, Servers: []config.Server{{
		Name: "yes", URL: "https://mcp.example.com/a?b=c&d=#e", Transport: config.TransportHTTP,
		Tags: []string{"on", "mcp:read", "a b", "[x]", "#c"}, Interval: 90 * time.Second, Timeout: 10 * time.Second,
		Slow: 2 * time.Second, Disabled: true, MaxMessageSize: 512 << 10,
		Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, TokenURL: "https://idp.example.com/t",
			ClientID: "id: with colon", ClientSecret: config.Secret{File: "/run/secrets/x y"}, Scopes: []string{"a:b", "null"},
			Audience: "api://x", Resource: "https://other.example.com/", Method: config.MethodClientSecretPost},
	}, {
		Name: "tab\u00e9 \"quoted\": x", URL: "http://127.0.0.1:1/mcp", Transport: config.TransportSSE,
		Interval: time.Minute, Timeout: 10 * time.Second, Slow: 1500 * time.Millisecond,
		Auth: config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: "T"}},
	}}}
	for i := range c.Servers {
		if err := c.Servers[i].Validate(); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	writeFile(&b, c, []string{strings.Repeat("a long note ", 20)})
	parsed, _, err := config.Parse("x.yaml", b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got := normalized(parsed); !reflect.DeepEqual(got, c) {
		t.Errorf("round trip differs\n got %+v\nwant %+v\n%s", got, c, b.String())
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if len(line) > 100 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
}
