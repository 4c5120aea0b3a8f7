package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/internal/testnet"
	"github.com/mcpwatch/mcpwatch/probe"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Pinned in package.json; the tests check the installed copy is this one.
const (
	everythingVersion = "2026.8.31"
	everythingName    = "mcp-servers/everything"
)

// everything finds node and the installed reference server. Without them
// the test is skipped on a developer's machine and fails in CI, where
// .ci/run installs them.
func everything(t *testing.T) (node, entry string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(root, ".tools", "interop", "node_modules", "@modelcontextprotocol", "server-everything")
	entry = filepath.Join(pkg, "dist", "index.js")
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; .ci/run installs it with .ci/interop.sh", what)
		}
		t.Skipf("%s; run bash .ci/interop.sh", what)
	}
	if _, err := os.Stat(entry); err != nil {
		missing("the reference server is not installed in .tools/interop")
	}
	node, err = exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	out, err := exec.Command(node, "-p", "require(process.argv[1]).version", filepath.Join(pkg, "package.json")).Output()
	if err != nil {
		t.Fatalf("reading the installed version: %v", err)
	}
	if v := string(bytes.TrimSpace(out)); v != everythingVersion {
		t.Fatalf("installed server-everything is %s, want %s; rerun bash .ci/interop.sh", v, everythingVersion)
	}
	return node, entry
}

// serveHTTP runs the reference server in an HTTP mode on a free loopback
// port (it reads PORT) and returns its base URL once it accepts connections.
// The port is below the ephemeral range (testnet): CI failed with "Port …
// is already in use" when a test beside this one took it first. Should it
// happen anyway, another port is tried.
func serveHTTP(t *testing.T, node, entry, mode string) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		url, inUse := startEverything(t, node, entry, mode)
		if !inUse {
			return url
		}
		if attempt == 5 {
			t.Fatalf("server-everything %s: 5 ports in a row were taken", mode)
		}
	}
}

// startEverything starts one server-everything and waits for it to listen;
// inUse reports that it exited because its port was taken.
func startEverything(t *testing.T, node, entry, mode string) (url string, inUse bool) {
	t.Helper()
	port := testnet.FreeLowPort(t)
	cmd := exec.Command(node, entry, mode)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			if strings.Contains(logs.String(), "already in use") {
				return "", true
			}
			t.Fatalf("server-everything %s exited before listening on %s:\n%s", mode, addr, logs.String())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("server-everything %s output:\n%s", mode, logs.String())
				}
			})
			return "http://" + addr, false
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("server-everything %s did not listen on %s within 20s:\n%s", mode, addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkTwice checks srv twice with one Checker (a second session must work
// as well as the first) and requires both to be healthy.
func checkTwice(t *testing.T, srv config.Server) [2]probe.Result {
	t.Helper()
	checker := probe.NewChecker("interop-test")
	srv.Slow = judgeNotSpeed(srv)
	var rs [2]probe.Result
	for i := range rs {
		r := checker.Check(context.Background(), &srv)
		if r.Status != probe.StatusHealthy {
			t.Fatalf("check %d: %s %s %s: %s\n%s", i+1, r.Status, r.Stage, r.Class, r.Message, r.Detail)
		}
		rs[i] = r
	}
	return rs
}

// judgeNotSpeed is the slow threshold of an interop check: its timeout.
// These tests judge the protocol, and a loaded CI host starting Node for a
// stdio server takes seconds: that must not read as degraded.
func judgeNotSpeed(srv config.Server) time.Duration {
	return max(srv.Timeout, 10*time.Second)
}

// checkHealthy is checkTwice plus what the reference server says about itself.
func checkHealthy(t *testing.T, srv config.Server) probe.Result {
	t.Helper()
	r := checkTwice(t, srv)[1]
	if r.ServerName != everythingName || r.ServerVersion == "" {
		t.Errorf("server info = %q %q, want %q and a version", r.ServerName, r.ServerVersion, everythingName)
	}
	// The pinned server's SDK predates the 2026-07-28 era: mcp-go's
	// server/discover gets -32601 and the probe falls back to initialize.
	if r.ProtocolVersion != "2025-11-25" {
		t.Errorf("protocol version %q, want 2025-11-25", r.ProtocolVersion)
	}
	if r.LivenessMethod == "" {
		t.Error("no liveness method recorded")
	}
	t.Logf("%s: protocol %s, server %s %s, liveness by %s, latency %v, total %v",
		srv.Transport, r.ProtocolVersion, r.ServerName, r.ServerVersion, r.LivenessMethod, r.Latency, r.Total)
	return r
}

func TestEverythingStreamableHTTP(t *testing.T) {
	node, entry := everything(t)
	base := serveHTTP(t, node, entry, "streamableHttp")
	srv := config.Server{Name: "everything-http", URL: base + "/mcp", Transport: config.TransportHTTP, Timeout: 10 * time.Second}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	r := checkHealthy(t, srv)
	// The reference server answers ping in the initialize era.
	if r.LivenessMethod != "ping" {
		t.Errorf("liveness by %s, want ping", r.LivenessMethod)
	}
}

func TestEverythingSSE(t *testing.T) {
	node, entry := everything(t)
	base := serveHTTP(t, node, entry, "sse")
	srv := config.Server{Name: "everything-sse", URL: base + "/sse", Transport: config.TransportSSE, Timeout: 10 * time.Second}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	r := checkHealthy(t, srv)
	if r.LivenessMethod != "ping" {
		t.Errorf("liveness by %s, want ping", r.LivenessMethod)
	}
}

// TestEverythingStdio goes through a config file, as an operator would
// write it, and checks the process is gone afterwards.
func TestEverythingStdio(t *testing.T) {
	node, entry := everything(t)
	dir := t.TempDir()
	src := fmt.Sprintf(`allow_stdio: true
servers:
  - name: everything-stdio
    transport: stdio
    command: %q
    args: [%q, stdio]
    timeout: 10s
`, node, entry)
	f, warns, err := config.Parse(filepath.Join(dir, "mcpwatch.yaml"), []byte(src))
	if err != nil || len(warns) > 0 {
		t.Fatalf("config: %v %v", err, warns)
	}
	r := checkHealthy(t, f.Servers[0])
	if r.LivenessMethod != "ping" {
		t.Errorf("liveness by %s, want ping", r.LivenessMethod)
	}
	if pids := running(t, entry); len(pids) > 0 {
		t.Errorf("server processes still running after the checks: %v", pids)
	}
}

// running lists the processes whose command line names entry (Linux only;
// elsewhere nothing is found).
func running(t *testing.T, entry string) []string {
	t.Helper()
	lines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, f := range lines {
		cmdline, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(cmdline, []byte(entry)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(filepath.Dir(f), "stat"))
		if err == nil && !bytes.Contains(stat, []byte(") Z ")) {
			pids = append(pids, filepath.Base(filepath.Dir(f)))
		}
	}
	return pids
}

// syncBuffer collects a child's output written from exec's copying goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
