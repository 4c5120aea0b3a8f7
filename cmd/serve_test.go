package cmd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/mcpwatch/mcpwatch/probe"
)

const serveWait = 15 * time.Second // generous for a loaded machine under -race; a wait, not a timing

func serveWaitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(serveWait)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for one writer and many readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeClientKey writes an ed25519 private key for ssh -i and returns its
// authorized_keys line and fingerprint.
func writeClientKey(t *testing.T, path string) (line, fingerprint string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "viewer")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(pem.EncodeToMemory(block)))
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(gossh.MarshalAuthorizedKey(signer.PublicKey())), gossh.FingerprintSHA256(signer.PublicKey())
}

// viewer is a real OpenSSH client with a forced terminal (-tt), its screen
// output collected raw. Its stdin stays open: closing it ends the session.
type viewer struct {
	cmd   *exec.Cmd
	out   *lockedBuffer
	stdin io.WriteCloser
	done  chan struct{}
}

func startViewer(t *testing.T, key, port string) *viewer {
	t.Helper()
	v := &viewer{out: &lockedBuffer{}, done: make(chan struct{})}
	v.cmd = exec.Command("ssh", "-tt", "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "BatchMode=yes", "-o", "PasswordAuthentication=no", "-p", port, "viewer@127.0.0.1")
	v.cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	v.cmd.Stdout, v.cmd.Stderr = v.out, v.out
	var err error
	if v.stdin, err = v.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = v.cmd.Wait(); close(v.done) }()
	t.Cleanup(func() {
		_ = v.cmd.Process.Kill()
		<-v.done
	})
	return v
}

// TestServeOnePoolForAllSessions runs `mcpwatch serve` in-process with real
// OpenSSH viewers and counts the requests reaching the MCP server: checks
// cost the same with two sessions attached as with one, because every
// session reads the one pool serve started. The interval is an hour, so the
// only checks are the first sweep and the rechecks the test asks for.
func TestServeOnePoolForAllSessions(t *testing.T) {
	for _, tool := range []string{"ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("%s is not installed", tool)
			}
			t.Fatalf("%s is not installed, and CI is set: CI must install it", tool)
		}
	}
	var hits atomic.Int64
	mcp := mcpHandler()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mcp.ServeHTTP(w, r)
	}))
	t.Cleanup(backend.Close)

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, fmt.Sprintf("defaults: {interval: 1h}\nservers:\n  - name: traffic-watched\n    url: %s/mcp\n", backend.URL))
	keyPath := filepath.Join(dir, "id_viewer")
	line, fp := writeClientKey(t, keyPath)
	authPath := filepath.Join(dir, "authorized_keys")
	writeFile(t, authPath, line)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type started struct {
		pool *probe.Pool
		addr net.Addr
	}
	up := make(chan started, 1)
	serveHooks.ctx = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveHooks.started = func(p *probe.Pool, a net.Addr) { up <- started{p, a} }
	defer func() { serveHooks.ctx, serveHooks.started = nil, nil }()

	stderr := &lockedBuffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"serve", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host", "key"),
			"--authorized-keys", authPath, "--config", cfgPath},
			&env{stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }})
	}()
	var s started
	select {
	case s = <-up:
	case code := <-exited:
		t.Fatalf("serve exited %d:\n%s", code, stderr)
	case <-time.After(serveWait):
		t.Fatal("serve did not start")
	}
	_, port, _ := net.SplitHostPort(s.addr.String())
	checks := func() uint64 { return s.pool.Snapshot().Servers[0].Checks }
	waitChecks := func(n uint64) {
		t.Helper()
		serveWaitUntil(t, fmt.Sprintf("%d checks", n), func() bool { return checks() >= n })
	}

	waitChecks(1)
	perCheck := hits.Load() // the first sweep, before anyone is watching
	if perCheck == 0 {
		t.Fatal("the first check reached no server; the test proves nothing")
	}

	one := startViewer(t, keyPath, port)
	serveWaitUntil(t, "the first viewer's dashboard", func() bool { return strings.Contains(one.out.String(), "traffic-watched") })
	before := hits.Load()
	s.pool.RecheckAll()
	waitChecks(2)
	withOne := hits.Load() - before

	two := startViewer(t, keyPath, port)
	serveWaitUntil(t, "the second viewer's dashboard", func() bool { return strings.Contains(two.out.String(), "traffic-watched") })
	before = hits.Load()
	s.pool.RecheckAll()
	waitChecks(3)
	time.Sleep(500 * time.Millisecond) // room for any other pool to show itself
	withTwo := hits.Load() - before

	if withOne != perCheck || withTwo != perCheck {
		t.Errorf("requests per recheck: %d with one viewer, %d with two, %d with none; want all equal", withOne, withTwo, perCheck)
	}
	if got := checks(); got != 3 {
		t.Errorf("%d checks, want 3 (one sweep, two rechecks)", got)
	}
	if total := hits.Load(); total != 3*perCheck {
		t.Errorf("%d requests in all, want %d", total, 3*perCheck)
	}

	cancel() // as SIGTERM would
	select {
	case code := <-exited:
		if code != ExitOK {
			t.Errorf("serve exited %d after shutdown, want 0:\n%s", code, stderr)
		}
	case <-time.After(serveWait):
		t.Fatal("serve did not shut down")
	}
	for name, v := range map[string]*viewer{"first": one, "second": two} {
		select {
		case <-v.done:
		case <-time.After(serveWait):
			t.Fatalf("the %s viewer's ssh did not end at shutdown", name)
		}
		if code := v.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(v.out.String(), "mcpwatch: the server is shutting down") {
			t.Errorf("%s viewer at shutdown: exit %d, output ends %q", name, code, tail(v.out.String(), 120))
		}
	}
	logs := stderr.String()
	for _, want := range []string{"ssh server listening", "host key created", "ssh session start", "ssh session end",
		"fingerprint=" + fp, "duration=", "ssh server stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("serve's log lacks %q:\n%s", want, logs)
		}
	}
}

// serveChildEnv, when set, makes TestServeSIGTERM the child: `mcpwatch
// serve` with the arguments it holds (a JSON array), in a process of its own
// with the real signal handling, exiting with serve's exit code.
const serveChildEnv = "MCPWATCH_TEST_SERVE_ARGS"

// TestServeSIGTERM runs `mcpwatch serve --ssh` as its own process (this test
// binary, re-executed) with an OpenSSH viewer watching, a connection stuck
// before authentication and a check in flight against a server that never
// answers, then sends it SIGTERM: it must exit 0 within 5 seconds (the
// bound issue 9 sets, measured from the signal), the viewer must be told
// why, and the log must have the session's end with who, from where, how
// long and why.
func TestServeSIGTERM(t *testing.T) {
	if env := os.Getenv(serveChildEnv); env != "" {
		var args []string
		if err := json.Unmarshal([]byte(env), &args); err != nil {
			panic(err)
		}
		os.Exit(Main(args, io.Discard, os.Stderr))
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("ssh is not installed")
		}
		t.Fatal("ssh is not installed, and CI is set: CI must install it")
	}
	hang := make(chan struct{})
	var asked atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select { // never answers: the check is in flight when the signal comes
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); backend.Close() })

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, fmt.Sprintf("defaults: {interval: 1h, timeout: 1m}\nservers:\n  - name: never-answers\n    url: %s/mcp\n", backend.URL))
	keyPath := filepath.Join(dir, "id_viewer")
	line, fp := writeClientKey(t, keyPath)
	authPath := filepath.Join(dir, "authorized_keys")
	writeFile(t, authPath, line)

	args := []string{"serve", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host_key"),
		"--authorized-keys", authPath, "--config", cfgPath,
		"--auth-timeout", "1m", "--max-unauthenticated", "20", "--max-unauthenticated-per-source", "3", "--connects-per-minute", "40"}
	child := exec.Command(os.Args[0], "-test.run=^TestServeSIGTERM$", "-test.count=1")
	argsJSON, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	child.Env = append(os.Environ(), serveChildEnv+"="+string(argsJSON))
	logs := &lockedBuffer{}
	child.Stdout, child.Stderr = io.Discard, logs
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = child.Wait(); close(exited) }()
	t.Cleanup(func() { _ = child.Process.Kill(); <-exited })

	addr := regexp.MustCompile(`msg="ssh server listening" addr=(\S+)`)
	serveWaitUntil(t, "serve to listen", func() bool { return addr.MatchString(logs.String()) })
	listening := logLine(logs.String(), "ssh server listening")
	for _, want := range []string{"auth_timeout=1m0s", "max_unauthenticated=20", "max_unauthenticated_per_source=3", "connects_per_minute=40"} {
		if !strings.Contains(listening, want) {
			t.Errorf("the limits given on the command line are not the server's: %s lacks %s", listening, want)
		}
	}
	sshAddr := addr.FindStringSubmatch(logs.String())[1]
	_, port, _ := net.SplitHostPort(sshAddr)

	v := startViewer(t, keyPath, port)
	serveWaitUntil(t, "the viewer's dashboard", func() bool { return strings.Contains(v.out.String(), "never-answers") })
	serveWaitUntil(t, "a check in flight", func() bool { return asked.Load() > 0 })
	stuck, err := net.Dial("tcp", sshAddr) // never authenticates
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	serveWaitUntil(t, "the stuck connection to be in the handshake", func() bool {
		_ = stuck.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, _ := stuck.Read(make([]byte, 64))
		return n > 0 // the server's version line
	})

	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	select {
	case <-exited:
	case <-time.After(serveWait):
		t.Fatalf("serve did not exit within %s of SIGTERM; its log:\n%s", serveWait, logs)
	}
	took := time.Since(signalled)
	t.Logf("serve exited %s after SIGTERM", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("serve took %s to exit after SIGTERM; the bound is 5s", took.Round(time.Millisecond))
	}
	if code := child.ProcessState.ExitCode(); code != ExitOK {
		t.Errorf("serve exited %d after SIGTERM, want 0:\n%s", code, logs)
	}

	select {
	case <-v.done:
	case <-time.After(serveWait):
		t.Fatal("the viewer's ssh did not end at shutdown")
	}
	if code := v.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(v.out.String(), "mcpwatch: the server is shutting down") {
		t.Errorf("viewer at shutdown: exit %d, output ends %q", code, tail(v.out.String(), 120))
	}
	_ = stuck.SetReadDeadline(time.Now().Add(serveWait))
	if _, err := io.Copy(io.Discard, stuck); err != nil {
		t.Errorf("the connection stuck in the handshake was not closed: %v", err)
	}
	end := logLine(logs.String(), "ssh session end")
	for _, want := range []string{"fingerprint=" + fp, "remote=127.0.0.1:", "duration=", `why="the server is shutting down"`} {
		if !strings.Contains(end, want) {
			t.Errorf("the session end lacks %s: %q\n%s", want, end, logs)
		}
	}
	if !strings.Contains(logs.String(), "ssh server stopped") {
		t.Errorf("no stop logged:\n%s", logs)
	}
}

// logLine is the first line of logs containing sub ("" if none).
func logLine(logs, sub string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, "servers:\n  - name: a\n    url: http://127.0.0.1:1/mcp\n")
	auth := filepath.Join(dir, "authorized_keys")
	writeFile(t, auth, "")
	host := filepath.Join(dir, "host_key")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--config", cfg}, "nothing to serve: pass --ssh ADDR"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--authorized-keys", auth}, "--host-key"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host}, "--authorized-keys"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", filepath.Join(dir, "none")}, "authorized keys"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth, "--max-sessions", "0"}, "--max-sessions"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth, "--color", "rainbow"}, "--color"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth, "--auth-timeout", "0s"}, "--auth-timeout must be more than 0"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth, "--max-unauthenticated", "0"}, "--max-unauthenticated must be at least 1"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth, "--max-unauthenticated-per-source", "0"}, "--max-unauthenticated-per-source must be at least 1"},
		{[]string{"serve", "--config", cfg, "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth, "--connects-per-minute", "0"}, "--connects-per-minute must be at least 1"},
		{[]string{"serve", "--config", filepath.Join(dir, "missing.yaml"), "--ssh", "127.0.0.1:0", "--host-key", host, "--authorized-keys", auth}, "missing.yaml"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args[1:], code, stderr, tc.want)
		}
	}
}

// TestServeMetricsHeadless: serve with only --metrics probes the config and
// exposes Prometheus metrics, with no SSH at all.
func TestServeMetricsHeadless(t *testing.T) {
	mcp := httptest.NewServer(mcpHandler())
	t.Cleanup(mcp.Close)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, cfgPath, "servers:\n  - {name: headless-one, url: \""+mcp.URL+"\"}\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	serveHooks.ctx = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { serveHooks.ctx = nil })
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, "serve", "--config", cfgPath, "--metrics", addr)
		done <- code
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), `mcpwatch_server_up{server="headless-one"} 1`) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no healthy server in /metrics within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("serve exited %d, want 0", code)
	}
	if code, _, errOut := runCLI(t, "serve", "--config", cfgPath); code != ExitUsage || !strings.Contains(errOut, "nothing to serve") {
		t.Fatalf("serve without --ssh or --metrics: exit %d, %q", code, errOut)
	}
}

// TestWaitBoundedGivesUp: a pool that does not stop does not keep serve
// from exiting; it is logged and left behind at the deadline.
func TestWaitBoundedGivesUp(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Go(func() { <-release })
	defer func() { close(release); wg.Wait() }()
	logs := &lockedBuffer{}
	returned := make(chan struct{})
	go func() {
		waitBounded(&wg, time.Now().Add(100*time.Millisecond), slog.New(slog.NewTextHandler(logs, nil)))
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(serveWait):
		t.Fatal("waitBounded waited past its deadline for a pool that never stops")
	}
	if !strings.Contains(logs.String(), "did not stop in time") {
		t.Errorf("giving up is not logged: %q", logs)
	}

	var quick sync.WaitGroup
	quick.Go(func() {})
	waitBounded(&quick, time.Now().Add(time.Hour), slog.New(slog.NewTextHandler(logs, nil))) // returns when done, not at the deadline
}
