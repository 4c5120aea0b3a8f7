package demo

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/config"
)

func TestConfig(t *testing.T) {
	f := startFleet(t)
	c := f.Config()
	if c.Path != ConfigPath || c.Defaults != (config.Defaults{Interval: 5 * time.Second, Timeout: 3 * time.Second, Slow: 500 * time.Millisecond, MaxMessageSize: config.DefaultMaxMessageSize,
		CertWarning: config.DefaultCertWarning}) ||
		c.Concurrency != 8 || c.PerHost != 4 {
		t.Errorf("config header = %q %+v concurrency %d per_host %d", c.Path, c.Defaults, c.Concurrency, c.PerHost)
	}
	want := []string{"docs-search", "legacy-crm", "analytics", "billing", "code-search", "ci-pipelines",
		"inventory", "payments", "wiki", "metrics", "helpdesk", "vault", "toolbox"}
	var names []string
	for _, s := range c.Servers {
		names = append(names, s.Name)
		u, err := url.Parse(s.URL)
		if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "" {
			t.Errorf("%s: url %q is not on 127.0.0.1 with a port", s.Name, s.URL)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		for _, sec := range []config.Secret{s.Auth.Token, s.Auth.ClientSecret, s.Auth.Value, s.Auth.Password} {
			if sec.Literal != "" || sec.File != "" {
				t.Errorf("%s: secret %v is not an env reference", s.Name, sec)
			}
			if sec.Env != "" {
				if v, err := sec.Resolve(); err != nil || v != f.secrets[sec.Env] {
					t.Errorf("%s: %s does not resolve to the fleet's secret (%v)", s.Name, sec, err)
				}
			}
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("servers %v, want %v", names, want)
	}

	// Config hands out copies.
	c.Servers[0].Tags[0] = "changed"
	if f.Config().Servers[0].Tags[0] == "changed" {
		t.Error("Config shares its slices with the fleet")
	}
}

// Each server answers at the HTTP and MCP level exactly as its note in the
// config says, so the probe will report the intended status.
func TestServersAnswerAsDesigned(t *testing.T) {
	f := startFleet(t)
	hc := httpClient(t)
	run := func(name string, check func(t *testing.T, s config.Server)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, serverNamed(t, f, name))
		})
	}

	run("docs-search", func(t *testing.T, s config.Server) {
		cl, init := connect(t, s, nil)
		if !mcp.IsModernProtocol(init.ProtocolVersion) || init.ServerInfo.Name != "docs-search" {
			t.Errorf("initialize: version %q server %q", init.ProtocolVersion, init.ServerInfo.Name)
		}
		if got := toolNames(t, cl); !slices.Contains(got, "search_docs") {
			t.Errorf("tools %v", got)
		}
		if r := do(t, hc, http.MethodGet, strings.TrimSuffix(s.URL, "/mcp")+"/other", "", "", nil); r.status != 404 {
			t.Errorf("another path: status %d, want 404", r.status)
		}
	})

	run("legacy-crm", func(t *testing.T, s config.Server) {
		if s.Transport != config.TransportSSE {
			t.Fatalf("transport %q", s.Transport)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var event, data string
		for sc.Scan() && (event == "" || data == "") {
			line := strings.TrimSpace(sc.Text())
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				data = v
			}
		}
		if event != "endpoint" || !strings.HasPrefix(data, strings.TrimSuffix(s.URL, "/sse")+"/message?sessionId=") {
			t.Errorf("first event %q data %q, want endpoint with the message URL", event, data)
		}
		cancel()

		cl, init := connect(t, s, nil)
		if mcp.IsModernProtocol(init.ProtocolVersion) {
			t.Errorf("SSE negotiated %q", init.ProtocolVersion)
		}
		if err := cl.Ping(t.Context()); err != nil {
			t.Errorf("ping: %v", err)
		}
	})

	run("analytics", func(t *testing.T, s config.Server) {
		if s.Auth.TokenURL != "" {
			t.Fatalf("token_url %q, want none (discovered)", s.Auth.TokenURL)
		}
		// The 401 names the protected-resource metadata ...
		r := rpc(t, hc, s.URL, "server/discover", nil)
		meta := strings.TrimSuffix(s.URL, "/mcp") + "/.well-known/oauth-protected-resource/mcp"
		if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `resource_metadata="`+meta+`"`) {
			t.Fatalf("no token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
		// ... which names the issuer for this very resource ...
		r = do(t, hc, http.MethodGet, meta, "", "", nil)
		if r.status != 200 || r.body["resource"] != s.URL ||
			!slices.Equal(anyStrings(r.body["authorization_servers"]), []string{f.issuer}) {
			t.Fatalf("protected-resource metadata: %d %v", r.status, r.body)
		}
		// ... whose RFC 8414 metadata names the token endpoint.
		r = do(t, hc, http.MethodGet, f.issuer+"/.well-known/oauth-authorization-server", "", "", nil)
		if r.body["token_endpoint"] != f.issuer+"/token" {
			t.Fatalf("authorization-server metadata: %v", r.body)
		}
		tok := token(t, hc, f, s.Auth.ClientID, f.secrets[EnvClientSecret], "resource", s.URL)
		if tok.status != 200 || tok.body["expires_in"] != float64(60) {
			t.Fatalf("token: %d %v", tok.status, tok.body["error"])
		}
		cl, _ := connect(t, s, map[string]string{"Authorization": "Bearer " + tok.body["access_token"].(string)})
		if got := toolNames(t, cl); !slices.Contains(got, "run_query") {
			t.Errorf("tools %v", got)
		}
	})

	run("billing", func(t *testing.T, s config.Server) {
		if s.Auth.TokenURL != f.issuer+"/token" || !slices.Equal(s.Auth.Scopes, []string{"mcp:read"}) {
			t.Fatalf("auth %+v", s.Auth)
		}
		if r := rpc(t, hc, s.URL, "server/discover", nil); r.status != 401 {
			t.Errorf("no token: %d", r.status)
		}
		noRead := token(t, hc, f, "mcpwatch", f.secrets[EnvClientSecret], "resource", s.URL, "scope", "mcp:write")
		r := rpc(t, hc, s.URL, "server/discover", map[string]string{"Authorization": "Bearer " + noRead.body["access_token"].(string)})
		if r.status != 403 || !strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope") {
			t.Errorf("token without mcp:read: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
		tok := token(t, hc, f, "mcpwatch", f.secrets[EnvClientSecret], "resource", s.URL, "scope", "mcp:read")
		cl, _ := connect(t, s, map[string]string{"Authorization": "Bearer " + tok.body["access_token"].(string)})
		if got := toolNames(t, cl); !slices.Contains(got, "get_invoice") {
			t.Errorf("tools %v", got)
		}
	})

	run("code-search", func(t *testing.T, s config.Server) {
		start := time.Now()
		r := rpc(t, hc, s.URL, "initialize", nil)
		// A lower bound only: the delay is injected, so it cannot be shorter.
		if took := time.Since(start); r.status != 200 || took < slowDelay || slowDelay <= s.Slow {
			t.Errorf("status %d after %v; delay %v must exceed slow %v", r.status, took, slowDelay, s.Slow)
		}
	})

	run("ci-pipelines", func(t *testing.T, s config.Server) {
		// The fleet starts in the healthy phase (the phases are tested in faults_test.go).
		if f.flap.downFor() != 0 {
			t.Skip("the fleet has run into its failing phase")
		}
		cl, _ := connect(t, s, nil)
		toolNames(t, cl)
	})

	run("inventory", func(t *testing.T, s config.Server) {
		_, err := hc.Get(s.URL)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("err = %v, want connection refused", err)
		}
	})

	run("payments", func(t *testing.T, s config.Server) {
		if r := rpc(t, hc, s.URL, "server/discover", nil); r.status != 401 {
			t.Errorf("no token: %d", r.status)
		}
		secret, err := s.Auth.ClientSecret.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		r := token(t, hc, f, s.Auth.ClientID, secret, "resource", s.URL)
		if r.status != 401 || r.body["error"] != "invalid_client" {
			t.Errorf("token with the configured secret: %d %v", r.status, r.body)
		}
	})

	run("wiki", func(t *testing.T, s config.Server) {
		if s.Auth.Flow != config.FlowAuthorizationCode {
			t.Errorf("flow %q", s.Auth.Flow)
		}
		if r := rpc(t, hc, s.URL, "server/discover", nil); r.status != 401 {
			t.Errorf("no token: %d", r.status)
		}
	})

	run("metrics", func(t *testing.T, s config.Server) {
		for _, auth := range []string{"", "Bearer wrong"} {
			if r := rpc(t, hc, s.URL, "server/discover", map[string]string{"Authorization": auth}); r.status != 401 ||
				!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("Authorization %q: %d %q", auth, r.status, r.header.Get("WWW-Authenticate"))
			}
		}
		tok, err := s.Auth.Token.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		cl, _ := connect(t, s, map[string]string{"Authorization": "Bearer " + tok})
		toolNames(t, cl)
	})

	run("helpdesk", func(t *testing.T, s config.Server) {
		r := rpc(t, hc, s.URL, "server/discover", nil)
		if e, _ := r.body["error"].(map[string]any); e["code"] != float64(-32601) {
			t.Errorf("server/discover answered %v, want -32601", r.body)
		}
		cl, init := connect(t, s, nil)
		if mcp.IsModernProtocol(init.ProtocolVersion) {
			t.Errorf("negotiated %q, want a legacy version", init.ProtocolVersion)
		}
		if err := cl.Ping(t.Context()); !errors.Is(err, mcp.ErrMethodNotFound) {
			t.Errorf("ping: %v, want method not found", err)
		}
		if got := toolNames(t, cl); !slices.Contains(got, "search_tickets") {
			t.Errorf("tools %v", got)
		}
	})
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Close restores the environment, stops every listener and may be repeated;
// cancelling Start's context closes the fleet too.
func TestCloseAndCancel(t *testing.T) {
	for _, name := range []string{EnvClientSecret, EnvPaymentsSecret, EnvBearer} {
		if _, set := os.LookupEnv(name); set {
			t.Skipf("%s is set in the test environment", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv(EnvBearer) == "" {
		t.Fatal("Start did not set the secrets")
	}
	docs := f.Config().Servers[0].URL
	hc := httpClient(t)
	if r := rpc(t, hc, docs, "initialize", nil); r.status != 200 {
		t.Fatalf("before cancel: %d", r.status)
	}
	// A live SSE stream must not hold Close up: the fleet ends it.
	crm := f.Config().Servers[1].URL
	req, _ := http.NewRequest(http.MethodGet, crm, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	streamEnded := make(chan struct{})
	go func() {
		defer close(streamEnded)
		_, _ = io.Copy(io.Discard, resp.Body)
	}()

	cancel()
	f.Close() // waits for the close that cancel started
	f.Close()
	<-streamEnded
	if _, err := hc.Get(docs); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after close: err = %v, want connection refused", err)
	}
	for _, name := range []string{EnvClientSecret, EnvPaymentsSecret, EnvBearer} {
		if _, set := os.LookupEnv(name); set {
			t.Errorf("%s is still set after Close", name)
		}
	}
}

func TestStartWithDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
