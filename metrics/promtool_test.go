package metrics

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// promtool returns the path of Prometheus' promtool. Without it the test is
// skipped on a developer machine and fails in CI (CI set), where .ci/run
// installs it.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not on PATH; .ci/run installs it (Debian package prometheus)")
		}
		t.Skip("promtool is not on PATH (apt-get install prometheus); CI runs this test")
	}
	return path
}

// runPromtool runs promtool with stdin and fails on a non-zero exit, or on
// any complaint when quiet is set.
func runPromtool(t *testing.T, stdin string, quiet bool, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || (quiet && strings.TrimSpace(out.String()) != "") {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// TestPromtoolCheckMetrics lints a real scrape: names, units, help, types.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool(t)
	f := newFleet(t)
	sweep(t, f.pool, f.swept...)
	runPromtool(t, scrape(t, f.metrics.Handler()), true, "check", "metrics")
}

func TestPromtoolRules(t *testing.T) {
	promtool(t)
	runPromtool(t, "", false, "check", "rules", "testdata/alerts.yml")
	runPromtool(t, "", false, "test", "rules", "testdata/alerts_test.yml")
	runPromtool(t, "", false, "check", "config", "testdata/prometheus.yml")
}

// TestPromtoolCatchesBadMetrics proves the lint step can fail: a counter
// without _total is a complaint, so a silent run above means something.
func TestPromtoolCatchesBadMetrics(t *testing.T) {
	bin := promtool(t)
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader("# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "_total") {
		t.Fatalf("promtool did not complain about a counter without _total: %q", out)
	}
}
