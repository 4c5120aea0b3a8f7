package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDashboardEndsWhenTerminalGoes: when its terminal goes away (SSH
// disconnect, tmux kill), the dashboard must exit, not stay behind probing.
// The hangup arrives as SIGHUP, which the dashboard must therefore not take
// for a config reload.
func TestDashboardEndsWhenTerminalGoes(t *testing.T) {
	needTmux(t)
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	bin := build(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, "servers:\n  - {name: hangup-probe, url: \"http://127.0.0.1:9/mcp\"}\n")
	pidFile := filepath.Join(dir, "pid")
	sockDir, err := os.MkdirTemp("", "mcpwatch-hup-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	socket := fmt.Sprintf("mcpwatch-hup-%d", os.Getpid())
	tmux := func(args ...string) error {
		cmd := exec.Command("tmux", append([]string{"-u", "-L", socket}, args...)...)
		cmd.Env = append(os.Environ(), "TMUX_TMPDIR="+sockDir, "LANG=C.UTF-8")
		return cmd.Run()
	}
	t.Cleanup(func() { _ = tmux("kill-server") })
	// exec: the pid the shell writes is mcpwatch's own.
	script := fmt.Sprintf("echo $$ > %s; exec %s --config %s", shellQuote(pidFile), shellQuote(bin), shellQuote(cfg))
	if err := tmux("new-session", "-d", "-s", "hup", "-x", "80", "-y", "24", "/bin/sh", "-c", script); err != nil {
		t.Fatalf("tmux: %v", err)
	}
	var pid int
	deadline := time.Now().Add(20 * time.Second)
	for pid == 0 {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("mcpwatch did not start within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let it take over the terminal and start probing
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("mcpwatch (pid %d) is not running before the hangup: %v", pid, err)
	}
	if err := tmux("kill-server"); err != nil {
		t.Fatalf("tmux kill-server: %v", err)
	}
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("mcpwatch kept running after its terminal went away")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
