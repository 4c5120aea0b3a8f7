package interop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// Peers built with the official TypeScript SDK: interop/tssdk/server.mjs on
// @modelcontextprotocol/sdk 1.32.2 (pinned in package.json). That SDK knows
// 2025-11-25 at the latest (LATEST_PROTOCOL_VERSION in dist/esm/types.js) and
// has no server/discover handler, so in every mode the probe must end up in
// the initialize era at 2025-11-25 and prove liveness by ping, which the SDK
// answers on every transport.
const (
	tssdkSDKVersion    = "1.32.2"
	tssdkServerName    = "tssdk-interop" // what server.mjs declares
	tssdkServerVersion = "1.0.0"
	tssdkProtocol      = "2025-11-25"
	tssdkToolMarker    = "TOOLS/CALL RECEIVED" // server.mjs logs it if a tool is called
)

// tssdk finds node, the installed SDK and the server script. Without them
// the test is skipped on a developer's machine and fails in CI, like
// everything().
func tssdk(t *testing.T) (node, script string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("tssdk", "server.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	// server.mjs imports the SDK through tssdk/node_modules, a symlink into
	// .tools/interop; Stat follows it.
	pkg := filepath.Join(filepath.Dir(script), "node_modules", "@modelcontextprotocol", "sdk", "package.json")
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; .ci/run installs it with .ci/interop.sh", what)
		}
		t.Skipf("%s; run bash .ci/interop.sh", what)
	}
	if _, err := os.Stat(pkg); err != nil {
		missing("the TypeScript SDK is not installed in .tools/interop")
	}
	node, err = exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	out, err := exec.Command(node, "-p", "require(process.argv[1]).version", pkg).Output()
	if err != nil {
		t.Fatalf("reading the installed SDK version: %v", err)
	}
	if v := string(bytes.TrimSpace(out)); v != tssdkSDKVersion {
		t.Fatalf("installed @modelcontextprotocol/sdk is %s, want %s; rerun bash .ci/interop.sh", v, tssdkSDKVersion)
	}
	return node, script
}

var listeningRE = regexp.MustCompile(`^tssdk-interop: \w+ on port (\d+)$`)

// serveTSSDK runs server.mjs in an HTTP mode on a port of its own choosing
// (PORT=0: no race for a free port) and returns the base URL and a reader of
// its wire log. The first line on its stdout says where it listens; reading
// it is the wait, so no polling and no timer. Anything else it prints (a
// crash) is shown if the test fails.
func serveTSSDK(t *testing.T, node, script, mode string) (string, func() string) {
	t.Helper()
	wire := wireLog(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, mode)
	cmd.Env = append(os.Environ(), "PORT=0", "TSSDK_LOG="+wire.path)
	cmd.Stdout, cmd.Stderr = w, w // *os.File: the child writes it directly
	err = cmd.Start()
	_ = w.Close() // the child has its own copy; EOF comes when it exits
	if err != nil {
		_ = r.Close()
		t.Fatal(err)
	}
	var output syncBuffer
	copied := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-copied
		_ = r.Close()
		if t.Failed() {
			t.Logf("server.mjs %s output:\n%s", mode, output.String())
		}
	})
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	go func() {
		defer close(copied)
		_, _ = io.Copy(&output, br)
	}()
	m := listeningRE.FindStringSubmatch(strings.TrimSpace(first))
	if m == nil {
		t.Fatalf("server.mjs %s did not start (%v):\n%s", mode, err, first)
	}
	return "http://127.0.0.1:" + m[1], wire.read
}

// wireFile is where server.mjs logs what it received and answered
// ($TSSDK_LOG). It writes each line before answering, so after a check
// returns the file is complete up to that check.
type wireFile struct{ path string }

func wireLog(t *testing.T) wireFile {
	return wireFile{filepath.Join(t.TempDir(), "wire.log")}
}

func (w wireFile) read() string {
	b, _ := os.ReadFile(w.path)
	return string(b)
}

// checkTSSDK checks srv twice with one Checker (a second check must work as
// well as the first, whatever the first left behind) and requires exactly
// what the SDK negotiates. wire returns the server's log so far.
func checkTSSDK(t *testing.T, srv config.Server, wire func() string) {
	t.Helper()
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	checker := probe.NewChecker("interop-test")
	srv.Slow = judgeNotSpeed(srv)
	seen := 0
	for i := range 2 {
		r := checker.Check(context.Background(), &srv)
		sent := wire()
		t.Logf("check %d: %s, protocol %s, server %q %q, liveness by %s; on the wire:\n%s",
			i+1, r.Status, r.ProtocolVersion, r.ServerName, r.ServerVersion, r.LivenessMethod, sent[seen:])
		seen = len(sent)
		if r.Status != probe.StatusHealthy {
			t.Fatalf("check %d: %s %s %s: %s\n%s", i+1, r.Status, r.Stage, r.Class, r.Message, r.Detail)
		}
		if r.ServerName != tssdkServerName || r.ServerVersion != tssdkServerVersion {
			t.Errorf("check %d: server info %q %q, want %q %q", i+1, r.ServerName, r.ServerVersion, tssdkServerName, tssdkServerVersion)
		}
		if r.ProtocolVersion != tssdkProtocol {
			t.Errorf("check %d: protocol version %q, want %q", i+1, r.ProtocolVersion, tssdkProtocol)
		}
		if r.LivenessMethod != "ping" {
			t.Errorf("check %d: liveness by %q, want ping", i+1, r.LivenessMethod)
		}
		if r.Era != probe.EraInitialize {
			t.Errorf("check %d: era %q, want %q", i+1, r.Era, probe.EraInitialize)
		}
	}
	sent := wire()
	// The initialize era, seen from the server's side: one handshake per check.
	if n := strings.Count(sent, `"method":"initialize"`); n != 2 {
		t.Errorf("the server received %d initialize requests, want 2 (one per check)", n)
	}
	for _, never := range []string{`"method":"tools/call"`, tssdkToolMarker} {
		if strings.Contains(sent, never) {
			t.Errorf("the server's log has %q: a health check must never call a tool", never)
		}
	}
}

// sessionDeleted matches server.mjs's log line for a session ended by DELETE.
var sessionDeleted = regexp.MustCompile(`(?m)^HTTP DELETE /mcp session=[0-9a-f-]{36} .*-> 200$`)

func TestTSSDKStreamableHTTP(t *testing.T) {
	node, script := tssdk(t)
	for _, mode := range []string{"stateful", "stateless"} {
		t.Run(mode, func(t *testing.T) {
			base, wire := serveTSSDK(t, node, script, mode)
			srv := config.Server{Name: "tssdk-" + mode, URL: base + "/mcp", Transport: config.TransportHTTP, Timeout: 10 * time.Second}
			checkTSSDK(t, srv, wire)
			// Each check ends its session, and the SDK accepts the DELETE:
			// checks every 30 s must not pile up sessions on the server. A
			// stateless server gives no session id, so nothing to DELETE.
			wantDeletes := map[string]int{"stateful": 2, "stateless": 0}[mode]
			if n := len(sessionDeleted.FindAllString(wire(), -1)); n != wantDeletes {
				t.Errorf("%d sessions ended by DELETE -> 200, want %d", n, wantDeletes)
			}
			if n := strings.Count(wire(), "HTTP DELETE "); n != wantDeletes {
				t.Errorf("%d DELETE requests, want %d", n, wantDeletes)
			}
		})
	}
}

func TestTSSDKSSE(t *testing.T) {
	node, script := tssdk(t)
	base, wire := serveTSSDK(t, node, script, "sse")
	srv := config.Server{Name: "tssdk-sse", URL: base + "/sse", Transport: config.TransportSSE, Timeout: 10 * time.Second}
	checkTSSDK(t, srv, wire)
}

// TestTSSDKStdio goes through a config file, as an operator would write it.
// The wire log's path goes to the server through the config's env, and the
// process must be gone after the checks.
func TestTSSDKStdio(t *testing.T) {
	node, script := tssdk(t)
	dir := t.TempDir()
	wire := wireLog(t)
	src := fmt.Sprintf(`allow_stdio: true
servers:
  - name: tssdk-stdio
    transport: stdio
    command: %q
    args: [%q, stdio]
    env: {TSSDK_LOG: %q}
    timeout: 10s
`, node, script, wire.path)
	f, warns, err := config.Parse(filepath.Join(dir, "mcpwatch.yaml"), []byte(src))
	if err != nil || len(warns) > 0 {
		t.Fatalf("config: %v %v", err, warns)
	}
	checkTSSDK(t, f.Servers[0], wire.read)
	if pids := running(t, script); len(pids) > 0 {
		t.Errorf("server processes still running after the checks: %v", pids)
	}
}
