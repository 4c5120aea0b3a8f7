package cmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// needSSH skips without OpenSSH on a developer machine and fails in CI.
func needSSH(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("ssh is not installed")
		}
		t.Fatal("ssh is not installed, and CI is set: CI must install it")
	}
}

// inProcess is `mcpwatch serve` or `mcpwatch demo` running in this process
// with its signal context replaced, its log collected.
type inProcess struct {
	logs   *lockedBuffer
	cancel context.CancelFunc // as SIGTERM would
	exited chan int
	pool   *probe.Pool   // set in SSH mode, once serving
	addr   net.Addr      // the SSH address, in SSH mode
	t      *testing.T    // for waits
	up     chan struct{} // closed once serving in SSH mode
}

// startInProcess runs args; in SSH mode it returns once the SSH server
// listens (serveHooks.started), otherwise at once.
func startInProcess(t *testing.T, sshMode bool, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{logs: &lockedBuffer{}, cancel: cancel, exited: make(chan int, 2), t: t, up: make(chan struct{})}
	serveHooks.ctx = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveHooks.started = func(pool *probe.Pool, a net.Addr) { p.pool, p.addr = pool, a; close(p.up) }
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.exited:
		case <-time.After(serveWait):
			t.Error("did not exit after cancel")
		}
		serveHooks.ctx, serveHooks.started = nil, nil
	})
	go func() {
		code := run(args, &env{stdout: io.Discard, stderr: p.logs, getenv: func(string) string { return "" }})
		p.exited <- code
		p.exited <- code // one for the test, one for the cleanup
	}()
	if sshMode {
		select {
		case <-p.up:
		case code := <-p.exited:
			t.Fatalf("%v exited %d:\n%s", args, code, p.logs)
		case <-time.After(serveWait):
			t.Fatalf("%v did not start:\n%s", args, p.logs)
		}
	}
	return p
}

// waitLog waits for a log line matching re and returns its submatches.
func (p *inProcess) waitLog(re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	serveWaitUntil(p.t, "a log line matching "+re+"; the log so far:\n"+p.logs.String(), func() bool {
		m = rx.FindStringSubmatch(p.logs.String())
		return m != nil
	})
	return m
}

// stop cancels and wants exit 0.
func (p *inProcess) stop() {
	p.t.Helper()
	p.cancel()
	select {
	case code := <-p.exited:
		if code != ExitOK {
			p.t.Errorf("exit %d after shutdown, want 0:\n%s", code, p.logs)
		}
	case <-time.After(serveWait):
		p.t.Fatal("did not shut down")
	}
}

// metricsAddrLine is the line serve logs once /metrics is served.
const metricsAddrLine = `level=INFO msg="serving metrics" addr=(127\.0\.0\.1:\d+) paths="/metrics /healthz"`

// TestServeLogsReloadsAndMetricsAddress: in both modes, headless and
// --ssh, serve logs where its metrics are served (the real port of :0, so
// that an operator can find it), a config edit applied (with what was
// added and removed), and a broken edit refused with each problem at its
// file:line:col while the running config stays.
func TestServeLogsReloadsAndMetricsAddress(t *testing.T) {
	for _, mode := range []string{"headless", "ssh"} {
		t.Run(mode, func(t *testing.T) {
			mcp := httptest.NewServer(mcpHandler())
			t.Cleanup(mcp.Close)
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "config.yaml")
			write := func(body string) {
				t.Helper()
				writeFile(t, cfgPath, "defaults: {interval: 1h}\nservers:\n"+body)
			}
			write("  - {name: one, url: \"" + mcp.URL + "\"}\n")
			args := []string{"serve", "--config", cfgPath, "--metrics", "127.0.0.1:0", "--no-state"}
			if mode == "ssh" {
				needSSH(t)
				auth := filepath.Join(dir, "authorized_keys")
				line, _ := writeClientKey(t, filepath.Join(dir, "id_viewer"))
				writeFile(t, auth, line)
				args = append(args, "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host_key"), "--authorized-keys", auth)
			}
			p := startInProcess(t, mode == "ssh", args...)

			addr := p.waitLog(metricsAddrLine)[1]
			resp, err := http.Get("http://" + addr + "/metrics")
			if err != nil {
				t.Fatalf("the logged metrics address %s does not serve: %v", addr, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s/metrics: %d", addr, resp.StatusCode)
			}
			if mode == "ssh" {
				p.waitLog(`msg="ssh server listening"`)
			}

			write("  - {name: one, url: \"" + mcp.URL + "\"}\n  - {name: two, url: \"" + mcp.URL + "\"}\n")
			applied := p.waitLog(`level=INFO msg="config reloaded" path=(\S+) servers=2 added=1 removed=0`)
			if applied[1] != cfgPath {
				t.Errorf("reload logged for %s, want %s", applied[1], cfgPath)
			}

			write("  - {name: one, url: \"" + mcp.URL + "\"}\n  - {name: two, ulr: \"" + mcp.URL + "\"}\n")
			p.waitLog(`level=ERROR msg="config reload refused; the running config stays" path=\S+ problems=2`)
			p.waitLog(`(?s)msg="config problem".*msg="config problem"`)
			problems := regexp.MustCompile(`level=ERROR msg="config problem" problem="(.*)"`).FindAllStringSubmatch(p.logs.String(), -1)
			for i, want := range []string{cfgPath + ":4:3: servers[1].url: required", cfgPath + ":4:17: servers[1].ulr: unknown key; did you mean url?"} {
				if len(problems) != 2 || !strings.HasPrefix(problems[i][1], want) {
					t.Errorf("refused reload logs the problems %q; want problem %d to start with %q", problems, i+1, want)
				}
			}

			write("  - {name: two, url: \"" + mcp.URL + "\"}\n")
			p.waitLog(`msg="config reloaded" path=\S+ servers=1 added=0 removed=1`)
			p.stop()
		})
	}
}

// TestLogRefusedIsBounded: a config with many problems logs the first
// maxLoggedProblems of them and says how many more there are.
func TestLogRefusedIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	var b strings.Builder
	b.WriteString("servers:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  - {name: s%d, ulr: x}\n", i)
	}
	writeFile(t, path, b.String())
	code, _, stderr := runCLI(t, "config", "validate", path)
	if code != ExitUsage {
		t.Fatalf("fixture: validate exit %d", code)
	}
	mcp := httptest.NewServer(mcpHandler())
	t.Cleanup(mcp.Close)
	good := "servers:\n  - {name: one, url: \"" + mcp.URL + "\"}\n"
	writeFile(t, path, good)
	p := startInProcess(t, false, "serve", "--config", path, "--metrics", "127.0.0.1:0", "--no-state")
	p.waitLog(metricsAddrLine)
	writeFile(t, path, b.String())
	p.waitLog(`more config problems not logged" count=\d+`)
	logs := p.logs.String()
	if n := strings.Count(logs, `msg="config problem"`); n != maxLoggedProblems {
		t.Errorf("%d problem lines, want %d:\n%s\n(validate says:\n%s)", n, maxLoggedProblems, logs, stderr)
	}
	p.stop()
}

// TestDemoOverSSH: `mcpwatch demo --ssh` serves the embedded fleet to a
// real OpenSSH viewer with the same key flags as serve --ssh; q ends the
// session with status 0 and the demo keeps serving until it is stopped.
func TestDemoOverSSH(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "id_viewer")
	line, fp := writeClientKey(t, keyPath)
	auth := filepath.Join(dir, "authorized_keys")
	writeFile(t, auth, line)
	p := startInProcess(t, true, "demo", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host_key"),
		"--authorized-keys", auth, "--metrics", "127.0.0.1:0", "--interval", "1h")
	p.waitLog(metricsAddrLine)
	names := map[string]bool{}
	for _, st := range p.pool.Snapshot().Servers {
		names[st.Name] = true
	}
	for _, want := range []string{"payments", "billing", "wiki"} {
		if !names[want] {
			t.Fatalf("the pool demo --ssh serves has no %s: %v", want, names)
		}
	}

	_, port, _ := net.SplitHostPort(p.addr.String())
	v := startViewer(t, keyPath, port)
	serveWaitUntil(t, "the demo fleet on the viewer's screen", func() bool {
		out := v.out.String()
		return strings.Contains(out, "payments") && strings.Contains(out, "billing")
	})
	if _, err := v.stdin.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-v.done:
	case <-time.After(serveWait):
		t.Fatal("q did not end the session")
	}
	if code := v.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("ssh exited %d after q, want 0; output ends %q", code, tail(v.out.String(), 200))
	}
	p.waitLog(`msg="ssh session end".*why="viewer quit"`)
	if !strings.Contains(p.logs.String(), "fingerprint="+fp) {
		t.Errorf("the session is not logged with the viewer's fingerprint:\n%s", p.logs)
	}
	p.stop()
}

// TestDemoSSHUsage: demo --ssh wants the key flags serve --ssh wants.
func TestDemoSSHUsage(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authorized_keys")
	writeFile(t, auth, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--ssh", "127.0.0.1:0", "--authorized-keys", auth}, "mcpwatch demo: --ssh needs --host-key FILE"},
		{[]string{"demo", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "k")}, "mcpwatch demo: --ssh needs --authorized-keys FILE"},
		{[]string{"demo", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "k"), "--authorized-keys", auth, "--max-sessions", "0"}, "--max-sessions must be at least 1"},
		{[]string{"demo", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "k"), "--authorized-keys", filepath.Join(dir, "none")}, "authorized keys"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args[1:], code, stderr, tc.want)
		}
	}
}

// TestServeLetsTheFirstConfigGo: once a reload is applied, nothing holds
// the config serve started with (at 10,000 servers, 7.5 MB kept for the
// life of the process).
func TestServeLetsTheFirstConfigGo(t *testing.T) {
	mcp := httptest.NewServer(mcpHandler())
	t.Cleanup(mcp.Close)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, "defaults: {interval: 1h}\nservers:\n  - {name: one, url: \""+mcp.URL+"\"}\n")
	var first weak.Pointer[config.File]
	serveHooks.loaded = func(f *config.File) { first = weak.Make(f) }
	t.Cleanup(func() { serveHooks.loaded = nil })
	needSSH(t)
	auth := filepath.Join(dir, "authorized_keys")
	line, _ := writeClientKey(t, filepath.Join(dir, "id_viewer"))
	writeFile(t, auth, line)
	p := startInProcess(t, true, "serve", "--config", cfgPath, "--metrics", "127.0.0.1:0", "--no-state",
		"--ssh", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host_key"), "--authorized-keys", auth)
	writeFile(t, cfgPath, "defaults: {interval: 1h}\nservers:\n  - {name: two, url: \""+mcp.URL+"\"}\n")
	p.waitLog(`msg="config reloaded" path=\S+ servers=1 added=1 removed=1`)
	serveWaitUntil(t, "the first config to be collected after the reload", func() bool {
		runtime.GC()
		return first.Value() == nil
	})
	p.stop()
}
