package sshserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// These tests connect with the real OpenSSH client (/usr/bin/ssh), driven in
// tmux for the interactive sessions, and read the screen with capture-pane
// as a person would see it.

// needOpenSSH skips without ssh or tmux on a developer machine; CI must
// install both (.ci/run does), so there their absence is a failure.
func needOpenSSH(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("%s is not installed; the OpenSSH tests need it", tool)
			}
			t.Fatalf("%s is not installed, and CI is set: CI must install it", tool)
		}
	}
}

// sshArgs are the client options of every test: our key only (no agent, no
// user config), no host key prompts, never a password prompt.
func (f *fixture) sshArgs(key userKey, extra ...string) []string {
	args := []string{"-F", "/dev/null", "-i", key.path,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "BatchMode=yes", "-o", "PasswordAuthentication=no", "-o", "ConnectTimeout=10",
		"-p", f.port()}
	return append(args, extra...)
}

// runSSH runs ssh to completion (no terminal) and returns its exit code and output.
func (f *fixture) runSSH(args ...string) (code int, stdout, stderr string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader("")
	err := cmd.Run()
	if ctx.Err() != nil {
		f.t.Fatalf("ssh %v did not finish", args)
	}
	code = cmd.ProcessState.ExitCode()
	_ = err
	return code, out.String(), errb.String()
}

// screens is one tmux server on a socket (and directory) of its own; each
// ssh session runs in its own 80x24 tmux session.
type screens struct {
	t      *testing.T
	socket string
	env    []string
	wait   time.Duration // how long a wait for the screen may take
}

var socketSeq atomic.Int64

func newScreens(t *testing.T) *screens {
	t.Helper()
	// tmux 3.3 leaves its socket behind after kill-server: keep it in a
	// directory of our own, with a short path (a socket path has a limit).
	dir, err := os.MkdirTemp("", "mcpw-tmux-")
	if err != nil {
		t.Fatal(err)
	}
	s := &screens{t: t, socket: fmt.Sprintf("ssh-%d-%d", os.Getpid(), socketSeq.Add(1)),
		env: append(os.Environ(), "TMUX_TMPDIR="+dir), wait: deadline}
	t.Cleanup(func() { _ = s.tmux("kill-server"); _ = os.RemoveAll(dir) })
	return s
}

func (s *screens) tmux(args ...string) error {
	cmd := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("tmux %v: %v: %s", args, err, out)
	}
	return nil
}

// ssh starts `ssh -tt ...` in a new tmux session called name; when ssh
// exits, the pane shows "ssh-exit=<code>".
func (s *screens) ssh(name string, args ...string) {
	s.t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	line := "ssh -tt " + strings.Join(quoted, " ") + `; echo "ssh-exit=$?"; sleep 3600`
	if err := s.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", line); err != nil {
		s.t.Fatal(err)
	}
}

// sshSized is ssh, but the pane's terminal first claims to be cols x rows
// (stty sets the size the kernel reports for it, which ssh sends in its pty
// request). The pane stays 80x24: what the server draws for the larger
// size wraps in it, so read it with waitAnyRow.
func (s *screens) sshSized(name string, cols, rows int, args ...string) {
	s.t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	line := fmt.Sprintf("stty rows %d cols %d && ssh -tt %s", rows, cols, strings.Join(quoted, " ")) +
		`; echo "ssh-exit=$?"; sleep 3600`
	if err := s.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", line); err != nil {
		s.t.Fatal(err)
	}
}

// resizeTTY makes the pane's terminal claim cols x rows while ssh runs in
// it: the kernel signals ssh (SIGWINCH), which sends a window change.
func (s *screens) resizeTTY(name string, cols, rows int) {
	s.t.Helper()
	cmd := exec.Command("tmux", "-L", s.socket, "display-message", "-p", "-t", name, "#{pane_tty}")
	cmd.Env = s.env
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("pane tty of %s: %v", name, err)
	}
	tty := strings.TrimSpace(string(out))
	if out, err := exec.Command("stty", "-F", tty, "rows", fmt.Sprint(rows), "cols", fmt.Sprint(cols)).CombinedOutput(); err != nil {
		s.t.Fatalf("stty -F %s: %v: %s", tty, err, out)
	}
}

func (s *screens) capture(name string) string {
	cmd := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-t", name)
	cmd.Env = s.env
	out, _ := cmd.Output()
	return string(out)
}

func (s *screens) waitFor(name, want string) {
	s.t.Helper()
	end := time.Now().Add(s.wait)
	for {
		screen := s.capture(name)
		if strings.Contains(screen, want) {
			return
		}
		if time.Now().After(end) {
			s.t.Fatalf("%s never showed %q; the screen:\n%s", name, want, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// row is the table row of the fixture's server on a screen ("" if none).
func row(screen string) string {
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, serverName) {
			return line
		}
	}
	return ""
}

// waitRow waits until the server's row shows want.
func (s *screens) waitRow(name, want string) {
	s.t.Helper()
	end := time.Now().Add(s.wait)
	for {
		screen := s.capture(name)
		if strings.Contains(row(screen), want) {
			return
		}
		if time.Now().After(end) {
			s.t.Fatalf("%s: the row of %s never showed %q; the screen:\n%s", name, serverName, want, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAnyRow waits until some line naming the server shows want: on a
// screen drawn wider than the pane, lines wrap and an older row can stay
// above the current one.
func (s *screens) waitAnyRow(name, want string) {
	s.t.Helper()
	end := time.Now().Add(s.wait)
	for {
		screen := s.capture(name)
		for _, line := range strings.Split(screen, "\n") {
			if strings.Contains(line, serverName) && strings.Contains(line, want) {
				return
			}
		}
		if time.Now().After(end) {
			s.t.Fatalf("%s: no line naming %s showed %q; the screen:\n%s", name, serverName, want, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *screens) press(name string, keys ...string) {
	s.t.Helper()
	if err := s.tmux(append([]string{"send-keys", "-t", name}, keys...)...); err != nil {
		s.t.Fatal(err)
	}
}

// suspendOnCtrlZ makes ctrl+z ask Bubble Tea to suspend, as a dashboard
// with job control would; ctrlZ counts the presses it saw.
type suspendOnCtrlZ struct {
	tea.Model
	ctrlZ *atomic.Int64
}

func (s suspendOnCtrlZ) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "ctrl+z" {
		s.ctrlZ.Add(1)
		return s, tea.Suspend
	}
	m, cmd := s.Model.Update(msg)
	return suspendOnCtrlZ{m, s.ctrlZ}, cmd
}

func TestOpenSSH(t *testing.T) {
	needOpenSSH(t)
	ctrlZ := &atomic.Int64{}
	f := startFixture(t, fixtureOptions{
		wrapModel: func(m tea.Model) tea.Model { return suspendOnCtrlZ{m, ctrlZ} },
	})
	user := f.sshArgs(f.user, "viewer@127.0.0.1")

	t.Run("an authorized key sees the dashboard", func(t *testing.T) {
		sc := newScreens(t)
		sc.ssh("one", user...)
		sc.waitFor("one", serverName)
		sc.waitRow("one", " healthy")
		sc.press("one", "q")
		sc.waitFor("one", "ssh-exit=0")
		if !f.logs.contains("ssh session end") || !f.logs.contains("fingerprint="+f.user.fingerprint()) {
			t.Errorf("session not logged with its key:\n%s", f.logs)
		}
	})

	t.Run("another key is refused", func(t *testing.T) {
		code, _, stderr := f.runSSH(f.sshArgs(f.stranger, "viewer@127.0.0.1", "true")...)
		if code == 0 || !strings.Contains(stderr, "Permission denied") {
			t.Errorf("unauthorized key: exit %d, stderr %q", code, stderr)
		}
	})

	t.Run("a password attempt is refused and only publickey is offered", func(t *testing.T) {
		code, _, stderr := f.runSSH(f.sshArgs(f.user, "-o", "PreferredAuthentications=password,keyboard-interactive",
			"-o", "PubkeyAuthentication=no", "viewer@127.0.0.1", "true")...)
		if code == 0 || !strings.Contains(stderr, "Permission denied (publickey)") {
			t.Errorf("password attempt: exit %d, stderr %q; want a refusal listing publickey as the only method", code, stderr)
		}
		if f.srv.ssh.PasswordHandler != nil || f.srv.ssh.KeyboardInteractiveHandler != nil {
			t.Error("a password or keyboard-interactive handler is installed")
		}
	})

	t.Run("a session without a terminal gets one line and a failure", func(t *testing.T) {
		code, stdout, stderr := f.runSSH(append([]string{"-T"}, user...)...)
		if code != 1 {
			t.Errorf("ssh -T exited %d, want 1", code)
		}
		if got := strings.TrimSpace(stdout + stderr); got != noPTYMessage {
			t.Errorf("ssh -T printed %q, want %q", got, noPTYMessage)
		}
	})

	t.Run("a recheck from one session is seen in another", func(t *testing.T) {
		sc := newScreens(t)
		sc.ssh("first", user...)
		sc.ssh("second", user...)
		sc.waitRow("first", " healthy")
		sc.waitRow("second", " healthy")
		f.backend.hold() // the recheck stays in flight until released
		sc.press("first", "r")
		sc.waitRow("first", "checking")
		sc.waitRow("second", "checking") // the pool's state, not the first session's
		f.backend.fail.Store(true)
		f.backend.release()
		sc.waitRow("first", " unhealthy")
		sc.waitRow("second", " unhealthy")
		f.backend.fail.Store(false)
	})

	t.Run("ctrl+z in one session stops nothing", func(t *testing.T) {
		// Bubble Tea suspends by sending SIGTSTP to its process group: the
		// server's. Catch it here so that, if that ever happens, this test
		// fails instead of stopping the test binary.
		tstp := make(chan os.Signal, 1)
		signal.Notify(tstp, syscall.SIGTSTP)
		defer signal.Stop(tstp)
		defer func() {
			if len(tstp) > 0 {
				t.Error("ctrl+z in a session sent SIGTSTP to the server's process group")
				_ = syscall.Kill(0, syscall.SIGCONT) // wake what it stopped (go test itself)
			}
		}()

		f.backend.fail.Store(false)
		f.pool.RecheckAll()
		sc := newScreens(t)
		sc.ssh("zed", user...)
		sc.ssh("other", user...)
		sc.waitRow("zed", " healthy")
		sc.waitRow("other", " healthy")
		before := ctrlZ.Load()
		sc.press("zed", "C-z")
		waitUntil(t, "the dashboard to receive ctrl+z", func() bool { return ctrlZ.Load() > before })

		// Both sessions still draw: a change in the fleet reaches both.
		f.backend.fail.Store(true)
		sc.press("other", "R")
		sc.waitRow("other", " unhealthy")
		sc.waitRow("zed", " unhealthy")
		f.backend.fail.Store(false)
		sc.press("zed", "q")
		sc.waitFor("zed", "ssh-exit=0")
		if !strings.Contains(sc.capture("other"), serverName) {
			t.Error("the other session is gone")
		}
	})
}

// TestOpenSSHHugeWindow: the real client on a terminal claiming 10000x10000,
// then 65535x65535. The server's heap stays bounded (an unclamped session
// of that size takes gigabytes), the dashboard still draws and follows the
// fleet, and the session's end is logged.
func TestOpenSSHHugeWindow(t *testing.T) {
	needOpenSSH(t)
	rec := &sizeRecorder{}
	f := startFixture(t, fixtureOptions{wrapModel: rec.wrap})
	base := heapInuse()

	sc := newScreens(t)
	sc.wait = slowDeadline
	sc.sshSized("huge", 10000, 10000, f.sshArgs(f.user, "viewer@127.0.0.1")...)
	sc.waitAnyRow("huge", " healthy")
	if !f.logs.contains("width=10000 height=10000") {
		t.Fatalf("ssh did not ask for a 10000x10000 terminal; the test proves nothing:\n%s", f.logs)
	}
	if got := rec.last(); got != clamped {
		t.Errorf("drawn at %dx%d, want %dx%d", got.Width, got.Height, clamped.Width, clamped.Height)
	}
	checkHeap(t, "OpenSSH at 10000x10000", base)

	sc.resizeTTY("huge", 200, 50)
	waitWithin(t, slowDeadline, "the 200x50 window change", func() bool { return rec.last() == tea.WindowSizeMsg{Width: 200, Height: 50} })
	sc.resizeTTY("huge", 65535, 65535)
	waitWithin(t, slowDeadline, "the 65535x65535 window change, clamped", func() bool { return rec.last() == clamped })
	checkHeap(t, "OpenSSH at 65535x65535", base)

	// Still drawing: a change in the fleet reaches the screen.
	f.backend.fail.Store(true)
	sc.press("huge", "R")
	sc.waitAnyRow("huge", " unhealthy")
	f.backend.fail.Store(false)
	if bad := rec.outOfBounds(); len(bad) > 0 {
		t.Errorf("the dashboard was sized beyond the clamp: %v", bad)
	}

	sc.press("huge", "q")
	sc.waitFor("huge", "ssh-exit=0")
	waitWithin(t, slowDeadline, "the session end to be logged", func() bool { return f.logs.contains("ssh session end") })
	if !f.logs.contains(`why="viewer quit"`) {
		t.Errorf("the session end does not say why:\n%s", f.logs)
	}
	checkHeap(t, "after the viewer left", base)
}

// TestOpenSSHLoginDuringAFlood: while one address holds 200 connections that
// never authenticate, a viewer from another logs in with the real client
// and gets the dashboard.
func TestOpenSSHLoginDuringAFlood(t *testing.T) {
	needOpenSSH(t)
	f := startFixture(t, fixtureOptions{authTimeout: time.Minute}) // the flood is held for the whole test
	held, refused := rawFlood(t, f, "127.0.0.2", 200)
	t.Logf("flood of 200 from 127.0.0.2: %d held, %d refused", len(held), refused)
	if len(held) > DefaultMaxUnauthenticatedPerSource {
		t.Errorf("%d held from one address; the cap is %d", len(held), DefaultMaxUnauthenticatedPerSource)
	}
	sc := newScreens(t)
	sc.ssh("legit", f.sshArgs(f.user, "viewer@127.0.0.1")...)
	sc.waitRow("legit", " healthy")
	sc.press("legit", "q")
	sc.waitFor("legit", "ssh-exit=0")
	if got := f.srv.unauthenticated(); got != len(held) {
		t.Errorf("%d unauthenticated connections after the login, want the %d held", got, len(held))
	}
}
