package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/config"
)

// The stdio peers are this test binary itself: TestMain runs it as a stdio
// MCP server when stdioServerEnv names a mode.
const stdioServerEnv = "MCPW_STDIO_TEST_SERVER"

const (
	stdioHealthy     = "healthy"      // mcp-go's stdio server; exits when stdin closes
	stdioHugeLine    = "hugeline"     // writes one endless line to stdout
	stdioLegacy      = "legacy"       // answers server/discover with -32601
	stdioNoDiscover  = "no-discover"  // never answers server/discover at all
	stdioExit        = "exit"         // complains on stderr and exits 3 before reading anything
	stdioSilent      = "silent"       // reads stdin, never answers
	stdioIgnoreStdin = "ignore-stdin" // serves, but keeps running after stdin closes
	stdioIgnoreTerm  = "ignore-term"  // as ignore-stdin, and ignores SIGTERM too
	stdioEnvDump     = "env"          // writes its environment to $MCPW_ENV_OUT, then serves
)

func runStdioTestServer(mode string) int {
	fmt.Fprintln(os.Stderr, "stdio test server: "+mode)
	var in io.Reader = os.Stdin
	var out io.Writer = os.Stdout
	switch mode {
	case stdioExit:
		fmt.Fprintf(os.Stderr, "fatal: token %s rejected\n", os.Getenv("MCPW_TEST_TOKEN"))
		return 3
	case stdioSilent:
		_, _ = io.Copy(io.Discard, os.Stdin)
		return 0
	case stdioIgnoreTerm:
		signal.Ignore(syscall.SIGTERM)
		in = neverEOF{os.Stdin}
	case stdioIgnoreStdin:
		in = neverEOF{os.Stdin}
	case stdioEnvDump:
		if err := os.WriteFile(os.Getenv("MCPW_ENV_OUT"), []byte(strings.Join(os.Environ(), "\n")), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	case stdioLegacy:
		in, out = refuseDiscover(os.Stdin, os.Stdout, true)
	case stdioNoDiscover:
		in, out = refuseDiscover(os.Stdin, os.Stdout, false)
	case stdioHugeLine:
		line := bytes.Repeat([]byte("x"), 64<<10)
		for { // one endless line; ends when mcpwatch closes the pipe
			if _, err := os.Stdout.Write(line); err != nil {
				return 0
			}
		}
	case stdioHealthy:
	default:
		fmt.Fprintln(os.Stderr, "unknown mode")
		return 2
	}
	if err := server.NewStdioServer(newMCP("stdio")).Listen(context.Background(), in, out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// neverEOF hides the end of stdin: the server never learns it should exit.
type neverEOF struct{ r io.Reader }

func (n neverEOF) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil {
		select {}
	}
	return k, nil
}

// refuseDiscover keeps server/discover from the server, like a server of the
// 2025 era: answered with "method not found", or, when answer is false,
// ignored. Every other line goes to the server.
func refuseDiscover(stdin io.Reader, stdout io.Writer, answer bool) (io.Reader, io.Writer) {
	pr, pw := io.Pipe()
	w := &lockedWriter{w: stdout}
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			var msg struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if json.Unmarshal(sc.Bytes(), &msg) == nil && msg.Method == "server/discover" {
				if !answer {
					continue
				}
				fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}`+"\n", msg.ID)
				continue
			}
			_, _ = pw.Write(append(sc.Bytes(), '\n'))
		}
		_ = pw.Close()
	}()
	return pr, w
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stdio is a stdio server config that runs this test binary in mode. The
// timeout is generous and slow is off: a race-enabled binary starting on a
// loaded machine is no fault of the code under test. The grace is short.
func (f *fixture) stdio(mode string) config.Server {
	s := f.server("")
	s.URL, s.Transport = "", config.TransportStdio
	s.Timeout, s.Slow = 10*time.Second, 0
	s.Stdio = config.Stdio{Command: testBinary(f.t), Allowed: true, Env: map[string]config.Secret{
		stdioServerEnv: {Literal: mode},
		"GORACE":       {Literal: "atexit_sleep_ms=0"}, // a -race binary otherwise lingers 1s at exit
	}}
	f.checker.StdioGrace = 300 * time.Millisecond
	return s
}

func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// stdioFaultRows are the stdio rows of TestFaultMatrix.
func stdioFaultRows() []faultRow {
	return []faultRow{
		{name: "stdio server", status: StatusHealthy,
			setup: func(f *fixture) config.Server { return f.stdio(stdioHealthy) },
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "server name", r.ServerName, "stdio")
				want(t, "protocol", r.ProtocolVersion, "2026-07-28")
				want(t, "liveness", r.LivenessMethod, "tools/list")
				for _, st := range []Stage{StageConnect, StageHandshake, StageLiveness} {
					if timing, ok := r.stage(st); !ok || !timing.OK {
						t.Fatalf("stage %s = %+v, %v", st, timing, ok)
					}
				}
			}},
		{name: "stdio in the initialize era uses ping", status: StatusHealthy,
			setup: func(f *fixture) config.Server { return f.stdio(stdioLegacy) },
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2025-11-25")
				want(t, "liveness", r.LivenessMethod, "ping")
			}},
		{name: "stdio server that ignores server/discover: initialize after the discover timeout", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioNoDiscover)
				s.Timeout = 2 * time.Second // discover timeout: min(5s, timeout/2)
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2025-11-25")
				if hs, _ := r.stage(StageHandshake); hs.Duration < time.Second {
					t.Fatalf("handshake took %v; the discover probe should have waited 1s", hs.Duration)
				}
			}},
		{name: "stdio without allow_stdio is skipped", status: StatusSkipped, stage: StageConfig, class: "skip.stdio",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioHealthy)
				s.Stdio.Allowed = false
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "stdio servers are not enabled (allow_stdio)")
			}},
		{name: "stdio env secret missing is skipped", status: StatusSkipped, stage: StageConfig, class: "skip.secret",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioHealthy)
				s.Stdio.Env["API_KEY"] = config.Secret{Env: "MCPW_UNSET_SECRET"}
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "secret env MCPW_UNSET_SECRET is not set")
			}},
		{name: "stdio command not found", status: StatusUnhealthy, stage: StageConnect, class: "connect.spawn",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioHealthy)
				s.Stdio.Command = "mcpw-no-such-command"
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, `command "mcpw-no-such-command" not found in PATH`)
			}},
		{name: "stdio working directory missing", status: StatusUnhealthy, stage: StageConnect, class: "connect.spawn",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioHealthy)
				s.Stdio.Cwd = "/nonexistent/mcpw"
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "working directory /nonexistent/mcpw: no such file or directory")
			}},
		{name: "stdio process exits at once: exit status and stderr, secrets scrubbed", status: StatusUnhealthy,
			stage: StageHandshake, class: "process.exited",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioExit)
				s.Stdio.Env["MCPW_TEST_TOKEN"] = config.Secret{Env: "MCPW_TEST_SECRET"}
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "message", r.Message, "server process exited (exit status 3) during the handshake")
				contains(t, r.Detail, "stderr, last 2 lines:\n  stdio test server: exit\n  fatal: token [redacted] rejected")
				if strings.Contains(r.Detail, testSecret) {
					t.Fatalf("secret in detail: %q", r.Detail)
				}
			}},
		{name: "stdio server never answers", status: StatusUnhealthy, stage: StageHandshake, class: "timeout.handshake",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioSilent)
				s.Timeout = 300 * time.Millisecond
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Detail, "stdio test server: silent") }},
		{name: "stdio server ignores stdin close: SIGTERM after the grace, still healthy", status: StatusHealthy,
			setup: func(f *fixture) config.Server { return f.stdio(stdioIgnoreStdin) },
			more: func(t *testing.T, f *fixture, r Result) {
				if stop := r.Total - r.Latency; stop < 300*time.Millisecond || stop > 3*time.Second {
					t.Fatalf("stopping took %v, want the 300ms grace, then SIGTERM", stop)
				}
			}},
		{name: "stdio server ignores SIGTERM too: SIGKILL after a second grace", status: StatusHealthy,
			setup: func(f *fixture) config.Server { return f.stdio(stdioIgnoreTerm) },
			more: func(t *testing.T, f *fixture, r Result) {
				if stop := r.Total - r.Latency; stop < 600*time.Millisecond || stop > 3*time.Second {
					t.Fatalf("stopping took %v, want two 300ms graces, then SIGKILL", stop)
				}
			}},
		{name: "stdio grace defaults to min(2s, timeout)", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioIgnoreStdin)
				f.checker.StdioGrace = 0
				s.Timeout = 3 * time.Second
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				if stop := r.Total - r.Latency; stop < 2*time.Second || stop > 4*time.Second {
					t.Fatalf("stopping took %v, want the 2s default grace, then SIGTERM", stop)
				}
			}},
	}
}

// TestStdioEndsWholeProcessGroup runs a shell script server that starts a
// grandchild (sleep) beside the real server, and checks that once Check
// returns the leader is reaped (no zombie of ours), and nothing of its
// process group still runs: not the server, not the grandchild.
func TestStdioEndsWholeProcessGroup(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	for _, tt := range []struct {
		name, mode string
	}{
		{"leader exits when stdin closes, grandchild left behind", stdioHealthy},
		{"leader ignores stdin close", stdioIgnoreStdin},
		{"leader ignores SIGTERM", stdioIgnoreTerm},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "pids")
			script := filepath.Join(dir, "server.sh")
			// Not exec: sh stays the leader, with two children.
			src := "#!/bin/sh\nsleep 300 &\necho \"$$ $!\" > \"$PID_FILE\"\n\"$SERVER\"\n"
			if err := os.WriteFile(script, []byte(src), 0o755); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t)
			srv := f.stdio(tt.mode)
			srv.Stdio.Command = script
			srv.Stdio.Env["PID_FILE"] = config.Secret{Literal: pidFile}
			srv.Stdio.Env["SERVER"] = config.Secret{Literal: testBinary(t)}
			r := f.checker.Check(context.Background(), &srv)
			if r.Status != StatusHealthy {
				t.Fatalf("got %s %s %s (%s)", r.Status, r.Class, r.Message, r.Detail)
			}
			data, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			var leader, grandchild int
			if _, err := fmt.Sscan(string(data), &leader, &grandchild); err != nil {
				t.Fatalf("pid file %q: %v", data, err)
			}
			// The leader is ours and was reaped before Check returned.
			if st, ok := procStat(leader); ok {
				t.Fatalf("leader %d still exists: %+v", leader, st)
			}
			if kids := childrenOfSelf(t); slices.Contains(kids, leader) {
				t.Fatalf("leader %d is still our child", leader)
			}
			// The rest of the group got SIGKILL; delivery is asynchronous,
			// so allow it a moment. A dead grandchild may show as a zombie
			// until init reaps it: it is init's, not ours, to reap.
			deadline := time.Now().Add(2 * time.Second)
			for {
				alive := groupAlive(t, leader)
				if len(alive) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("still running in group %d: %v", leader, alive)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if st, ok := procStat(grandchild); ok && (st.state != 'Z' || st.ppid == os.Getpid()) {
				t.Fatalf("grandchild %d: %+v", grandchild, st)
			}
			for _, kid := range childrenOfSelf(t) {
				if st, ok := procStat(kid); ok && st.state == 'Z' {
					t.Fatalf("zombie child %d of the test process", kid)
				}
			}
		})
	}
}

// TestStdioEnvironment: the process sees the configured variables and a
// few inherited ones, never the rest of mcpwatch's environment.
func TestStdioEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	t.Setenv("MCPW_OTHER_SERVERS_SECRET", "not-for-this-process")
	t.Setenv("MCPW_API_KEY_SOURCE", "api-key-value")
	f := newFixture(t)
	srv := f.stdio(stdioEnvDump)
	srv.Stdio.Env["MCPW_ENV_OUT"] = config.Secret{Literal: out}
	srv.Stdio.Env["API_KEY"] = config.Secret{Env: "MCPW_API_KEY_SOURCE"}
	srv.Stdio.Env["PATH"] = config.Secret{Literal: "/mcpw/bin:/usr/bin:/bin"}
	if r := f.checker.Check(context.Background(), &srv); r.Status != StatusHealthy {
		t.Fatalf("got %s %s %s (%s)", r.Status, r.Class, r.Message, r.Detail)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(string(data), "\n")
	for _, w := range []string{"API_KEY=api-key-value", "PATH=/mcpw/bin:/usr/bin:/bin", "HOME=" + os.Getenv("HOME")} {
		if !slices.Contains(env, w) {
			t.Errorf("missing %s in %q", w, env)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "MCPW_OTHER_SERVERS_SECRET=") || strings.HasPrefix(kv, "MCPW_TEST_SECRET=") {
			t.Errorf("leaked from mcpwatch's environment: %s", kv)
		}
		if strings.HasPrefix(kv, "PATH=") && kv != "PATH=/mcpw/bin:/usr/bin:/bin" {
			t.Errorf("two PATHs: %s", kv)
		}
	}
}

func TestStderrTail(t *testing.T) {
	p := &process{tail: &tailBuffer{max: 75}}
	fmt.Fprint(p.tail, "first line, cut off by the limit\n")
	fmt.Fprint(p.tail, "\x1b[31mred\x1b[0m and a bell\a\n")
	fmt.Fprint(p.tail, "downloading 10%\rdownloading 100%\r\n")
	fmt.Fprint(p.tail, "bad \xff byte\n\n")
	want := "red and a bell\ndownloading 100%\nbad \uFFFD byte"
	if got := p.stderrTail(); got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}

	p = &process{tail: &tailBuffer{max: stderrTailBytes}}
	for i := range 50 {
		fmt.Fprintf(p.tail, "line %d\n", i)
	}
	lines := strings.Split(p.stderrTail(), "\n")
	if len(lines) != stderrTailLines || lines[0] != "line 30" || lines[19] != "line 49" {
		t.Errorf("tail = %q", lines)
	}
	if n := len(p.tail.buf); n > stderrTailBytes {
		t.Errorf("buffer holds %d bytes", n)
	}
	big := strings.Repeat("x", 3*stderrTailBytes)
	fmt.Fprint(p.tail, big)
	if n := len(p.tail.buf); n != stderrTailBytes {
		t.Errorf("buffer holds %d bytes after a large write", n)
	}
}

type procInfo struct {
	state      byte
	ppid, pgrp int
}

// procStat reads state, parent and process group of pid from /proc.
func procStat(pid int) (procInfo, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procInfo{}, false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // the name may hold spaces
	if len(fields) < 3 {
		return procInfo{}, false
	}
	ppid, _ := strconv.Atoi(fields[1])
	pgrp, _ := strconv.Atoi(fields[2])
	return procInfo{state: fields[0][0], ppid: ppid, pgrp: pgrp}, true
}

// groupAlive lists the processes of group pgid that are not zombies.
func groupAlive(t *testing.T, pgid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var alive []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := procStat(pid); ok && st.pgrp == pgid && st.state != 'Z' && st.state != 'X' {
			alive = append(alive, pid)
		}
	}
	return alive
}

func childrenOfSelf(t *testing.T) []int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(s); err == nil {
				kids = append(kids, pid)
			}
		}
	}
	return kids
}

// A reload that flips allow_stdio restarts a stdio server but keeps its
// history (the same process is the target); another command is another target.
func TestReloadStdioTarget(t *testing.T) {
	a := config.Server{Name: "s", Transport: config.TransportStdio,
		Stdio: config.Stdio{Command: "srv", Args: []string{"--a"}, Allowed: true}}
	flipped := a
	flipped.Stdio.Allowed = false
	if sameServer(a, flipped) || !sameTarget(a, flipped) {
		t.Errorf("allow_stdio flip: sameServer %v, sameTarget %v", sameServer(a, flipped), sameTarget(a, flipped))
	}
	for _, mut := range []func(*config.Stdio){
		func(s *config.Stdio) { s.Command = "other" },
		func(s *config.Stdio) { s.Args = []string{"--b"} },
		func(s *config.Stdio) { s.Cwd = "/srv" },
		func(s *config.Stdio) { s.Env = map[string]config.Secret{"A": {Literal: "b"}} },
	} {
		b := a
		mut(&b.Stdio)
		if sameTarget(a, b) {
			t.Errorf("%+v and %+v are the same target", a.Stdio, b.Stdio)
		}
	}
}
