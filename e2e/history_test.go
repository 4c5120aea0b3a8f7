package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startDemoWith is startDemo with flags for the demo (a state dir). The
// tmux server is the test's own, as in startDemo; each call starts a new
// one, so a test can run the demo twice.
func startDemoWith(t *testing.T, width, height int, args ...string) *term {
	t.Helper()
	return startBin(t, width, height, append([]string{"demo"}, args...)...)
}

// startBin runs mcpwatch with args (a subcommand and its flags) in a tmux
// pane of width × height.
func startBin(t *testing.T, width, height int, args ...string) *term {
	t.Helper()
	needTmux(t)
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	bin := build(t)
	dir := t.TempDir()
	tm := &term{t: t, width: width, height: height, statusFile: filepath.Join(dir, "status"),
		socket: fmt.Sprintf("mcpwatch-e2e-h-%d-%d", os.Getpid(), time.Now().UnixNano())}
	sockDir, err := os.MkdirTemp("", "mcpwatch-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "TMUX", "TMUX_PANE", "TMUX_TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR", "XDG_STATE_HOME":
			continue
		}
		tm.env = append(tm.env, kv)
	}
	tm.env = append(tm.env, "LANG=C.UTF-8", "TMUX_TMPDIR="+sockDir, "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	conf := filepath.Join(dir, "tmux.conf")
	writeFile(t, conf, "set -g status off\nset -g default-shell /bin/sh\nset -g remain-on-exit on\n")
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	command := fmt.Sprintf("%s %s; echo $? > %s", shellQuote(bin), strings.Join(quoted, " "), shellQuote(tm.statusFile))
	t.Cleanup(func() { _, _ = tm.tmuxErr("kill-server") })
	tm.tmux("-f", conf, "new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command)
	return tm
}

// TestHistorySurvivesARestart runs the demo on a state dir, quits, reads the
// dir with `mcpwatch history --output json`, then starts the demo again on
// the same dir: the events view shows the first run's events, and payments
// (failing all along) is failing since the first run.
func TestHistorySurvivesARestart(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	settledOn := func(s []string) bool {
		r := rows(s)
		return r["payments"].status == "auth_error" && r["inventory"].status == "unhealthy"
	}

	first := startDemoWith(t, 120, 40, "--state-dir", stateDir, "--interval", "1s")
	first.waitFor("the first run's verdicts", settledOn)
	first.keys(false, "q")
	if status := first.waitExit(); status != "0" {
		t.Fatalf("first run exited %s", status)
	}

	out, err := exec.Command(build(t), "history", "--state-dir", stateDir, "--output", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("mcpwatch history: %v\n%s", err, out)
	}
	var h struct {
		Events []struct{ Server, Kind, From, To string } `json:"events"`
	}
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("history --output json: %v\n%s", err, out)
	}
	found := false
	for _, ev := range h.Events {
		found = found || ev.Server == "payments" && ev.Kind == "status" && ev.From == "unknown" && ev.To == "auth_error"
	}
	if !found {
		t.Fatalf("history does not list payments going unknown → auth_error:\n%s", out)
	}

	// The second run: the same fleet, the same statuses. Its own checks add
	// no "unknown →" event for payments (its status did not change), so the
	// one the events view shows is the first run's.
	// The screen shows Since to the second: the second run starts in a later
	// second than the first ended, so the two cannot be mistaken.
	firstEnded := time.Now().Truncate(time.Second)
	for !time.Now().Truncate(time.Second).After(firstEnded) {
		time.Sleep(pollEvery)
	}
	secondStart := time.Now().Truncate(time.Second)
	second := startDemoWith(t, 120, 40, "--state-dir", stateDir, "--interval", "1s")
	second.waitFor("the second run's verdicts", settledOn)
	second.keys(false, "e")
	second.waitFor("the first run's payments event in the events view", func(s []string) bool {
		for _, l := range s {
			if strings.Contains(l, "payments") && strings.Contains(l, "unknown → auth_error") {
				return true
			}
		}
		return false
	})
	second.keys(false, "Escape")
	// payments (the most severe, so the first row) has been failing since
	// before the second run began: its detail view's Since line says when.
	second.waitFor("the table again", settledOn)
	second.keys(false, "Enter")
	screen := second.waitFor("payments' detail view", func(s []string) bool {
		return strings.HasPrefix(s[0], "mcpwatch › payments") && lineWith(s, "Since ") != ""
	})
	line := lineWith(screen, "Since ")
	i := strings.LastIndex(line, "since ")
	at, err := time.ParseInLocation("15:04:05", strings.TrimSpace(line[i+len("since "):]), time.Local)
	if i < 0 || err != nil {
		t.Fatalf("Since line %q: %v", line, err)
	}
	y, m, d := secondStart.Date()
	at = time.Date(y, m, d, at.Hour(), at.Minute(), at.Second(), 0, time.Local)
	second.keys(false, "q")
	if status := second.waitExit(); status != "0" {
		t.Errorf("second run exited %s", status)
	}
	if !at.Before(secondStart) {
		out, _ := exec.Command(build(t), "history", "--state-dir", stateDir, "--server", "payments", "--output", "json").CombinedOutput()
		t.Errorf("payments failing since %s, not before the second run started (%s): %q\nscreen:\n%s\nhistory:\n%s",
			at.Format("15:04:05"), secondStart.Format("15:04:05"), line, strings.Join(screen, "\n"), out)
	}
}
