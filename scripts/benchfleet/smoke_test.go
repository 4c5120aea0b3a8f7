package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// TestBenchSweepSmoke runs scripts/bench-sweep.sh at 20 servers and one pair:
// the harness builds, the fleet starts and stops, the floor and mcpwatch both
// sweep it with one token request each, and the summary is printed. It times
// nothing: speed is measured by running the script itself (docs/performance.md).
func TestBenchSweepSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mcpwatch and the helpers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../bench-sweep.sh", "20", "1")
	// Its own process group, stopped as a whole on timeout: the script's
	// trap then ends the fleet, and nothing it started outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	// Tests run in parallel: the machine is never idle, do not wait for it.
	cmd.Env = append(os.Environ(), "BENCH_QUIET_WAIT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench-sweep.sh 20 1: %v\n%s", err, out.Bytes())
	}
	for _, want := range []string{
		`(?m)^RESULT n=20 pairs=1 floor_s=[0-9.]+ mcpwatch_s=[0-9.]+ ratio=[0-9.]+ .*\btokens=1\b`,
		`(?m)^floor .* token requests 1, connections 1\.00/server, POSTs 2\.00/server$`,
		`(?m)^mcpwatch .* token requests 1, connections 1\.00/server, POSTs 2\.00/server$`,
		`(?m)^1    \| `,
		`(?m)^validate `,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("output does not match %s:\n%s", want, out.Bytes())
		}
	}
}
