package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
)

// historyWait bounds how long a test waits for serve to check its servers:
// generous for a loaded machine under -race; a wait, not a timing.
const historyWait = 20 * time.Second

func waitForHistory(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(historyWait); !ok(); {
		if time.Now().After(end) {
			t.Fatalf("waited %v for %s", historyWait, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runHistory runs `mcpwatch history` with args and returns its output.
func runHistory(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"history"}, args...), &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

type historyJSON struct {
	Schema  string        `json:"schema"`
	Events  []probe.Event `json:"events"`
	Servers []struct {
		Name        string                   `json:"name"`
		Status      string                   `json:"status"`
		Since       time.Time                `json:"since"`
		LastChecked time.Time                `json:"last_checked"`
		Uptime      map[string]historyWindow `json:"uptime"`
	} `json:"servers"`
}

func historyOf(t *testing.T, dir string) historyJSON {
	t.Helper()
	code, out, errs := runHistory(t, "--state-dir", dir, "--output", "json")
	if code != 0 {
		t.Fatalf("history exited %d: %s", code, errs)
	}
	var h historyJSON
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("history --output json: %v\n%s", err, out)
	}
	return h
}

// startServe runs `serve --metrics` in-process over cfgPath with history
// in stateDir, until the returned stop is called; stop returns its exit
// code and log.
func startServe(t *testing.T, cfgPath, stateDir string) (stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	serveHooks.ctx = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	logs := &lockedBuffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"serve", "--metrics", "127.0.0.1:0", "--config", cfgPath, "--state-dir", stateDir},
			&env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }})
	}()
	stopped := false
	stop = func() (int, string) {
		if !stopped {
			stopped = true
			cancel()
			t.Cleanup(func() { serveHooks.ctx = nil })
		}
		select {
		case code := <-exited:
			return code, logs.String()
		case <-time.After(historyWait):
			t.Fatalf("serve did not stop:\n%s", logs)
			return 0, ""
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return stop
}

// lastChecked is when the archive says server was last checked (zero when
// the file is not there yet or is between writes).
func lastChecked(dir, server string) time.Time {
	a, err := state.OpenArchive(dir)
	if err != nil {
		return time.Time{}
	}
	defer a.Close()
	return a.LastStates()[server].Seen
}

// TestServeKeepsHistoryAcrossARestart runs serve twice on one state dir and
// reads the dir with `mcpwatch history --output json` after each run: the
// events of the first run are there, the restart adds no "unknown →"
// events for servers whose status did not change, and a failing server is
// still failing since the first run.
func TestServeKeepsHistoryAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, "defaults: {interval: 1h, timeout: 5s}\nservers:\n"+
		"  - name: down\n    url: http://127.0.0.1:1/mcp\n"+
		"  - name: off\n    url: http://127.0.0.1:1/mcp\n    disabled: true\n")

	stop := startServe(t, cfgPath, stateDir)
	waitForHistory(t, "the first checks in the state dir", func() bool {
		return !lastChecked(stateDir, "down").IsZero() && !lastChecked(stateDir, "off").IsZero()
	})
	code, logs := stop()
	if code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, logs)
	}
	if !strings.Contains(logs, fmt.Sprintf("msg=history dir=%s retention=168h0m0s", stateDir)) {
		t.Errorf("serve did not log where history goes:\n%s", logs)
	}

	first := historyOf(t, stateDir)
	if first.Schema != HistorySchema {
		t.Errorf("schema %q", first.Schema)
	}
	got := map[string]string{}
	for _, ev := range first.Events {
		got[ev.Server] = ev.Kind + " " + ev.From + "→" + ev.To
	}
	want := map[string]string{"down": "status unknown→unhealthy", "off": "status unknown→skipped"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events after the first run: %v, want %v", got, want)
	}
	var since time.Time
	for _, s := range first.Servers {
		switch s.Name {
		case "down":
			since = s.Since
			if s.Status != "unhealthy" || s.Uptime["1h"].Checked != 1 || s.Uptime["1h"].Ratio == nil || *s.Uptime["1h"].Ratio != 0 {
				t.Errorf("down after the first run: %+v", s)
			}
		case "off":
			if s.Status != "skipped" || s.Uptime["7d"].Checked != 0 || s.Uptime["7d"].Ratio != nil {
				t.Errorf("off after the first run: %+v", s)
			}
		}
	}
	if since.IsZero() {
		t.Fatalf("no since for down: %+v", first.Servers)
	}

	// The restart: the same statuses.
	seen := lastChecked(stateDir, "down")
	stop = startServe(t, cfgPath, stateDir)
	waitForHistory(t, "the second run's checks", func() bool { return lastChecked(stateDir, "down").After(seen) })
	if code, logs := stop(); code != 0 {
		t.Fatalf("second serve exited %d:\n%s", code, logs)
	}
	second := historyOf(t, stateDir)
	if len(second.Events) != len(first.Events) {
		t.Errorf("the restart added events: %+v", second.Events)
	}
	for _, s := range second.Servers {
		if s.Name == "down" {
			if !s.Since.Equal(since) {
				t.Errorf("down is failing since %v after the restart, want %v (the first run)", s.Since, since)
			}
			if s.Uptime["1h"].Checked != 2 {
				t.Errorf("down's checks in the last hour after two runs: %+v", s.Uptime["1h"])
			}
		}
	}
}

// TestServeOnADirInUse: a second serve on a dir the first one holds logs
// why and goes on with history in memory.
func TestServeOnADirInUse(t *testing.T) {
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, "defaults: {interval: 1h}\nservers:\n  - name: off\n    url: http://127.0.0.1:1/mcp\n    disabled: true\n")
	holder := state.Open(state.Options{Dir: stateDir})
	defer holder.Close()

	stop := startServe(t, cfgPath, stateDir)
	code, logs := stop()
	if code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, logs)
	}
	want := fmt.Sprintf("state dir %s is in use by another mcpwatch (pid %d); history is kept in memory until it is free", stateDir, os.Getpid())
	if !strings.Contains(logs, "level=WARN msg=\"history: "+want+"\"") {
		t.Errorf("serve log does not say the dir is in use (%q):\n%s", want, logs)
	}
}

// TestServeSaysPinsMovedAside: an unreadable pin file is moved aside at
// start, and serve's log says where (it said nothing).
func TestServeSaysPinsMovedAside(t *testing.T) {
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, "defaults: {interval: 1h}\nservers:\n  - name: off\n    url: http://127.0.0.1:1/mcp\n    disabled: true\n")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stateDir, state.InventoryFileName), "{not json")

	code, logs := startServe(t, cfgPath, stateDir)()
	if code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, logs)
	}
	want := "inventory pins " + filepath.Join(stateDir, state.InventoryFileName) + " were unreadable"
	if !strings.Contains(logs, "level=WARN msg=\""+want) || !strings.Contains(logs, "moved to inventory.json.unreadable-") {
		t.Errorf("serve log does not say the pins were moved aside (%q):\n%s", want, logs)
	}
}

func TestHistoryErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--state-dir", dir}, "mcpwatch history: no history in " + dir + ": nothing has been written there"},
		{[]string{"--state-dir", dir, "--since", "yesterday"}, "mcpwatch history: --since yesterday: not a duration"},
		{[]string{"--state-dir", dir, "--since=-1h"}, "mcpwatch history: --since -1h: cannot be negative"},
		{[]string{}, "mcpwatch history: neither XDG_STATE_HOME nor HOME is set: pass --state-dir DIR"},
	} {
		code, _, errs := runHistory(t, c.args...)
		if code != ExitUsage || !strings.HasPrefix(errs, c.want) {
			t.Errorf("history %v: exit %d, %q; want exit 2, %q…", c.args, code, errs, c.want)
		}
	}
}

// TestHistoryOutputIsSafe: text from servers (reasons, versions) reaches the
// terminal with no escape sequence or bidi control, and JSON with them as
// \u escapes.
func TestHistoryOutputIsSafe(t *testing.T) {
	dir := t.TempDir()
	s := state.Open(state.Options{Dir: dir})
	now := time.Now()
	s.RecordEvent(probe.Event{At: now, Server: "evil", Kind: probe.EventChange, Class: probe.ChangeServer,
		From: "srv 1.0", To: "srv \u202egnp.exe\x1b]0;owned\x07", Reason: ""})
	s.RecordEvent(probe.Event{At: now.Add(time.Second), Server: "evil", Kind: probe.EventStatus, From: "healthy", To: "unhealthy",
		Class: "protocol.jsonrpc", Reason: "server said \x1b[2J\x1b[31mreboot\u0085now\u2066"})
	s.RecordResult(probe.Result{Server: "evil", Status: probe.StatusUnhealthy, Started: now})
	_ = s.Close()

	code, out, errs := runHistory(t, "--state-dir", dir)
	if code != 0 {
		t.Fatalf("history: %d %s", code, errs)
	}
	for _, bad := range []string{"\x1b", "\u202e", "\u2066", "\u0085", "\a"} {
		if strings.Contains(out, bad) {
			t.Errorf("table output holds %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "healthy → unhealthy") || !strings.Contains(out, "reboot") {
		t.Errorf("table lost the event:\n%s", out)
	}
	code, out, _ = runHistory(t, "--state-dir", dir, "-o", "json")
	if code != 0 {
		t.Fatal("history json failed")
	}
	for _, bad := range []string{"\x1b", "\u202e", "\u2066", "\u0085"} {
		if strings.Contains(out, bad) {
			t.Errorf("JSON output holds %q raw", bad)
		}
	}
	if !strings.Contains(out, `\u202e`) || !strings.Contains(out, `\u001b`) {
		t.Errorf("JSON does not keep the servers' words as escapes:\n%s", out)
	}
}

func TestStateFlags(t *testing.T) {
	e := &env{getenv: func(k string) string { return map[string]string{"HOME": "/home/op"}[k] }}
	for _, c := range []struct {
		f      stateFlags
		memory bool
		want   stateDir
	}{
		{stateFlags{}, false, stateDir{dir: "/home/op/.local/state/mcpwatch"}},
		{stateFlags{}, true, stateDir{}}, // the demo
		{stateFlags{StateDir: "/srv/st"}, true, stateDir{dir: "/srv/st"}},
		{stateFlags{NoState: true}, false, stateDir{}},
	} {
		if got := c.f.where(e, c.memory); got != c.want {
			t.Errorf("%+v (memory by default %v) = %+v, want %+v", c.f, c.memory, got, c.want)
		}
	}
	noHome := &env{getenv: func(string) string { return "" }}
	if got := (stateFlags{}).where(noHome, false); got.dir != "" || got.whyMemory != state.NoDefaultDir {
		t.Errorf("no HOME: %+v", got)
	}
	var errs bytes.Buffer
	code := run([]string{"dashboard", "--state-dir", "x", "--no-state"}, &env{stdout: io.Discard, stderr: &errs, getenv: noHome.getenv})
	if code != ExitUsage || !strings.Contains(errs.String(), "--state-dir and --no-state can't be used together") {
		t.Errorf("--state-dir with --no-state: exit %d (%s)", code, errs.String())
	}
}

// TestPoolHooksFanOut: the pool keeps one observer; metrics and the state
// store both see every result through poolHooks.
func TestPoolHooksFanOut(t *testing.T) {
	cfg := &config.File{Path: "hooks", Concurrency: 2, PerHost: 2, Servers: []config.Server{{Name: "off", URL: "http://127.0.0.1:1/mcp",
		Disabled: true, Transport: config.TransportHTTP, Interval: time.Hour, Timeout: time.Second, Slow: time.Second}}}
	h := &poolHooks{Pool: probe.NewPool(cfg, probe.NewChecker("test"))}
	var a, b int
	h.Observe(func(probe.Result) { a++ })
	h.Observe(func(probe.Result) { b++ })
	h.Sweep(context.Background())
	h.Sweep(context.Background())
	if a != 2 || b != 2 {
		t.Errorf("observers saw %d and %d results, want 2 each", a, b)
	}
}

// The views' header line says the pins were moved aside, beside any
// history notice, for the whole run.
func TestViewHistorySaysPinsMovedAside(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stateDir, state.InventoryFileName), "{not json")
	st := state.Open(state.Options{Dir: stateDir})
	defer st.Close()
	if n := (viewHistory{st}).Notice(); !strings.HasPrefix(n, "inventory pins ") || !strings.Contains(n, "moved to inventory.json.unreadable-") {
		t.Fatalf("header notice %q", n)
	}
	second := state.Open(state.Options{Dir: stateDir}) // in use: it reads no pins, so its own line only
	defer second.Close()
	if n := (viewHistory{second}).Notice(); !strings.Contains(n, "is in use by another mcpwatch") || strings.Contains(n, "inventory pins") {
		t.Fatalf("second store's header notice %q (its own pins were not read)", n)
	}
}
