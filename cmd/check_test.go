package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/tui"
)

const (
	clientID     = "mcpwatch-cli"
	clientSecret = "cli-Secret-0xDEADBEEF-42"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &env{stdout: &out, stderr: &errb, getenv: os.Getenv})
	return code, out.String(), errb.String()
}

func mcpHandler() http.Handler {
	return server.NewStreamableHTTPServer(server.NewMCPServer("cli-test", "0.1.0", server.WithToolCapabilities(false)))
}

// tokenSpy records every access token the endpoint hands out, so a test can
// look for it in mcpwatch's output.
type tokenSpy struct {
	mu     sync.Mutex
	tokens []string
	next   http.Handler
}

func (s *tokenSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, r)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if body.AccessToken != "" {
		s.mu.Lock()
		s.tokens = append(s.tokens, body.AccessToken)
		s.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *tokenSpy) issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

type oauthWorld struct {
	as       *authserver.Server
	spy      *tokenSpy
	tokenURL string
	mcpURL   string
}

func newOAuthWorld(t *testing.T) *oauthWorld {
	as := authserver.New(authserver.Options{Clients: map[string]string{clientID: clientSecret}, Lifetime: time.Hour})
	spy := &tokenSpy{next: as}
	asTS := httptest.NewServer(spy)
	t.Cleanup(asTS.Close)
	as.SetIssuer(asTS.URL)
	mcpTS := httptest.NewServer(as.Protect(mcpHandler(), authserver.Protection{}))
	t.Cleanup(mcpTS.Close)
	t.Setenv("CLI_SECRET", clientSecret)
	return &oauthWorld{as: as, spy: spy, tokenURL: asTS.URL + "/token", mcpURL: mcpTS.URL}
}

// TestSecretsNeverAppear feeds a known secret and the tokens issued for it
// through every output path — table, JSON, verbose logs, error messages —
// including error bodies that echo them back.
func TestSecretsNeverAppear(t *testing.T) {
	w := newOAuthWorld(t)
	// A broken MCP server that echoes the request's Authorization header in its 500 body.
	echo := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Error(rw, "upstream failed for "+r.Header.Get("Authorization"), http.StatusInternalServerError)
	}))
	t.Cleanup(echo.Close)
	// A token endpoint that echoes the posted client secret in its error description.
	echoToken := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(rw).Encode(map[string]string{"error": "invalid_client",
			"error_description": "unknown secret " + r.PostForm.Get("client_secret")})
	}))
	t.Cleanup(echoToken.Close)

	var outputs []string
	for _, c := range []struct {
		url, tokenURL, method string
		wantCode              int
	}{
		{w.mcpURL, w.tokenURL, "client_secret_basic", ExitOK},
		{echo.URL, w.tokenURL, "client_secret_post", ExitFailing},
		{w.mcpURL, echoToken.URL, "client_secret_post", ExitFailing},
	} {
		for _, format := range []string{"table", "json"} {
			code, out, errOut := runCLI(t, "check", c.url, "--client-id", clientID, "--client-secret-env", "CLI_SECRET",
				"--token-url", c.tokenURL, "--auth-method", c.method, "--output", format, "--verbose")
			if code != c.wantCode {
				t.Fatalf("%s via %s: exit %d, want %d\n%s\n%s", c.url, format, code, c.wantCode, out, errOut)
			}
			outputs = append(outputs, out, errOut)
		}
	}
	tokens := w.spy.issued()
	if len(tokens) == 0 {
		t.Fatal("no token was issued: the test proves nothing")
	}
	all := strings.Join(outputs, "\n")
	if !strings.Contains(all, "[redacted]") {
		t.Fatal("the echoing peers' bodies should have been scrubbed, not dropped: no [redacted] seen")
	}
	for _, secret := range append(tokens, clientSecret) {
		if strings.Contains(all, secret) {
			t.Fatalf("output contains a secret or token %q:\n%s", secret, all)
		}
	}
}

func TestCheckExitCodesAndJSON(t *testing.T) {
	w := newOAuthWorld(t)
	healthy := httptest.NewServer(mcpHandler())
	t.Cleanup(healthy.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, `
defaults: {interval: 30s, timeout: 2s, slow: 2s}
servers:
  - name: ok
    url: `+healthy.URL+`
  - name: billing
    url: `+w.mcpURL+`
    auth:
      type: oauth2
      token_url: `+w.tokenURL+`
      client_id: `+clientID+`
      client_secret: ${CLI_SECRET}
      scopes: [mcp:read]
  - name: interactive
    url: https://mcp.invalid/mcp
    auth: {type: oauth2, flow: authorization_code}
  - name: down
    url: `+down.URL+`
`)
	code, out, errOut := runCLI(t, "check", "--config", cfgPath, "--server", "ok", "--server", "billing", "--server", "interactive", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (skipped does not fail without --strict)\n%s%s", code, out, errOut)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if rep.Schema != SchemaVersion || len(rep.Servers) != 3 || rep.Summary["healthy"] != 2 || rep.Summary["skipped"] != 1 {
		t.Fatalf("report = %+v", rep)
	}
	billing := rep.Servers[1]
	if billing.Token == nil || billing.Token.ExpiresAt == nil || billing.ProtocolVersion == "" ||
		billing.LivenessMethod == "" || len(billing.Stages) != 4 || billing.ServerInfo == nil {
		t.Fatalf("billing = %+v", billing)
	}
	var raw struct {
		Servers []struct {
			Token    map[string]any    `json:"token"`
			Warnings []json.RawMessage `json:"warnings"`
			Era      string            `json:"era"`
		} `json:"servers"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"warnings": []`) || raw.Servers[1].Warnings == nil || raw.Servers[1].Era == "" {
		t.Fatalf("every server lists its warnings ([] when none) and a checked one its era:\n%s", out)
	}
	if tok := raw.Servers[1].Token; fmt.Sprint(tok["requested_scopes"]) != "[mcp:read]" || tok["scope_source"] != "configured" {
		t.Fatalf("billing token = %v, want requested_scopes [mcp:read] from configured", tok)
	}
	if rep.Servers[2].Message != "oauth2 authorization_code needs a user login" {
		t.Fatalf("skip reason = %q", rep.Servers[2].Message)
	}

	if code, _, _ := runCLI(t, "check", "--config", cfgPath, "--server", "ok", "--server", "interactive", "--strict"); code != ExitFailing {
		t.Fatalf("--strict with a skipped server: exit %d, want 1", code)
	}
	code, out, _ = runCLI(t, "check", "--config", cfgPath)
	if code != ExitFailing || !strings.Contains(out, "connect.refused") {
		t.Fatalf("with a down server: exit %d, want 1\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "check", "--config", cfgPath, "--server", "nope"); code != ExitUsage || !strings.Contains(errOut, "no such server") {
		t.Fatalf("unknown --server: exit %d, %q", code, errOut)
	}
}

func TestCheckConfigErrorsExit2WithPositions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, path, "servers:\n  - name: a\n    url: http://x/mcp\n    trasport: http\n")
	code, out, errOut := runCLI(t, "check", "--config", path)
	if code != ExitUsage {
		t.Fatalf("exit %d, want 2", code)
	}
	if out != "" || !strings.Contains(errOut, "bad.yaml:4:5") || !strings.Contains(errOut, "transport") {
		t.Fatalf("stderr = %q, want file:line:col and a did-you-mean", errOut)
	}
	code, _, errOut = runCLI(t, "check", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != ExitUsage || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing file: exit %d, %q", code, errOut)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"check", "http://127.0.0.1:1/mcp", "--client-id", "x"},
		{"check", "http://127.0.0.1:1/mcp", "--client-id", "x", "--client-secret-env", "MCPW_SURELY_UNSET"},
		{"check", "http://127.0.0.1:1/mcp", "--bearer-env", "MCPW_SURELY_UNSET"},
		{"check", "http://127.0.0.1:1/mcp", "--token-url", "http://a/token"},
		{"check", "http://127.0.0.1:1/mcp", "--transport", "carrier-pigeon"},
		{"check", "--client-id", "x"},
		{"check", "not a url"},
		{"frobnicate"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != ExitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errOut)
		}
		if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
			t.Errorf("%v: stack trace in %q", args, errOut)
		}
	}
	if code, out, _ := runCLI(t, "--help"); code != ExitOK || !strings.Contains(out, "check") {
		t.Fatalf("--help: exit %d, %q", code, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSecretsNeverOnScreen renders the dashboard — table and every detail
// view — over a pool whose peers echo the secret and the token back.
func TestSecretsNeverOnScreen(t *testing.T) {
	w := newOAuthWorld(t)
	echo := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Error(rw, "upstream failed for "+r.Header.Get("Authorization"), http.StatusInternalServerError)
	}))
	t.Cleanup(echo.Close)
	cfg := &config.File{Path: "test", Concurrency: 2, PerHost: 2}
	for i, u := range []string{w.mcpURL, echo.URL} {
		cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%d", i), URL: u, Transport: config.TransportHTTP,
			Interval: time.Minute, Timeout: 2 * time.Second, Slow: 2 * time.Second,
			Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: clientID,
				ClientSecret: config.Secret{Env: "CLI_SECRET"}, TokenURL: w.tokenURL, Method: config.MethodClientSecretPost}})
	}
	pool := probe.NewPool(cfg, probe.NewChecker("test"))
	pool.Sweep(context.Background())

	var m tea.Model = tui.New(pool, tui.Options{Color: "always"})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 250, Height: 70})
	frames := []string{m.View().Content}
	for range cfg.Servers {
		m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
		frames = append(frames, m.View().Content)
		m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
		m, _ = m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
	}
	all := strings.Join(frames, "\n")
	if !strings.Contains(all, "s1") || !strings.Contains(all, "http.500") || !strings.Contains(all, "[redacted]") {
		t.Fatalf("the screen does not show the servers; the test proves nothing:\n%s", all)
	}
	for _, secret := range append(w.spy.issued(), clientSecret) {
		if strings.Contains(all, secret) {
			t.Fatalf("screen shows a secret or token %q", secret)
		}
	}
}

func TestExampleConfigLoads(t *testing.T) {
	_, warnings, err := config.Load("../examples/config.yaml")
	if err != nil || len(warnings) != 0 {
		t.Fatalf("examples/config.yaml: %v %v", err, warnings)
	}
}
