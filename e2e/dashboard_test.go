// Package e2e drives the real mcpwatch binary in a real terminal: tmux runs
// `mcpwatch demo` (the embedded fleet of live MCP servers on loopback), the
// test types keys with send-keys and reads the screen with capture-pane,
// exactly as a person at the keyboard would. The unit and golden tests in
// tui/ cover the model; this covers the wiring, the terminal handling and
// the live fleet together.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Waiting, not timing: every wait polls the screen until what it looks for
// is there, and gives up only after a deadline generous enough for a loaded
// CI machine running `go test -race ./...`. No test asserts a duration.
const (
	pollEvery = 100 * time.Millisecond
	deadline  = 20 * time.Second
)

// The demo fleet's servers (demo/fleet.go), and the statuses the stable ones
// settle on. ci-pipelines flaps between healthy and unhealthy on purpose.
var (
	fleetNames = []string{
		"docs-search", "legacy-crm", "analytics", "billing", "code-search", "ci-pipelines",
		"inventory", "payments", "wiki", "metrics", "helpdesk", "vault", "toolbox",
	}
	settled = map[string]string{
		"payments":    "auth_error",
		"inventory":   "unhealthy",
		"code-search": "degraded",
		"analytics":   "healthy",
		"billing":     "healthy",
		"docs-search": "healthy",
		"legacy-crm":  "healthy",
		"metrics":     "healthy",
		"helpdesk":    "healthy",
		"toolbox":     "healthy",
		"wiki":        "skipped",
		"vault":       "healthy", // and warning tls.expiring (tls_test.go)
	}
)

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// build compiles mcpwatch once for every test of the package.
func build(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "mcpwatch-e2e-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "mcpwatch")
		cmd := exec.Command("go", "build", "-o", binary.path, "github.com/mcpwatch/mcpwatch")
		cmd.Dir = ".." // the module root
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// needTmux skips without tmux on a developer machine; CI must install it
// (.ci/run does), so there its absence is a failure.
func needTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("tmux is not installed; the end-to-end dashboard tests need it")
		}
		t.Fatal("tmux is not installed, and CI is set: CI must install tmux for the end-to-end tests")
	}
}

// term is one tmux server, on a socket of its own, running mcpwatch demo in
// a single pane of a fixed size.
type term struct {
	t             *testing.T
	socket        string
	env           []string
	width, height int
	statusFile    string // the exit status of mcpwatch, written by the pane's shell
	last          []string
}

func startDemo(t *testing.T, width, height int) *term {
	t.Helper()
	return startDemoEnv(t, width, height)
}

// startDemoEnv is startDemo with more variables in the demo's environment.
func startDemoEnv(t *testing.T, width, height int, env ...string) *term {
	t.Helper()
	needTmux(t)
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	bin := build(t)
	dir := t.TempDir()
	tm := &term{
		t:          t,
		socket:     fmt.Sprintf("mcpwatch-e2e-%d-%d-%dx%d", os.Getpid(), time.Now().UnixNano(), width, height),
		width:      width,
		height:     height,
		statusFile: filepath.Join(dir, "status"),
	}
	// The socket goes in a directory of its own, under a short path (a unix
	// socket path is limited to ~100 bytes): tmux leaves its socket file
	// behind after kill-server, and this way it goes with the directory.
	sockDir, err := os.MkdirTemp("", "mcpwatch-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) }) // runs after kill-server below

	// A clean environment for tmux and the pane: a UTF-8 locale (so the
	// dashboard draws its Unicode glyphs), not nested in the caller's tmux.
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "TMUX", "TMUX_PANE", "TMUX_TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR":
			continue
		}
		tm.env = append(tm.env, kv)
	}
	// History, if the demo keeps any, goes to a state dir of the test's own.
	tm.env = append(tm.env, "LANG=C.UTF-8", "TMUX_TMPDIR="+sockDir, "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	tm.env = append(tm.env, env...)

	// No status line (the pane gets every row of the window), a known shell,
	// panes stay after their process exits so that the end can be seen, and
	// OSC 52 from the dashboard lands in a tmux buffer (the `y` key).
	conf := filepath.Join(dir, "tmux.conf")
	writeFile(t, conf, "set -g status off\nset -g default-shell /bin/sh\nset -g remain-on-exit on\nset -g set-clipboard on\n")
	// The shell waits for mcpwatch and records how it ended.
	command := fmt.Sprintf("%s demo; echo $? > %s", shellQuote(bin), shellQuote(tm.statusFile))

	t.Cleanup(func() {
		// Ends the server, its pane and the demo in it (SIGHUP) if the test
		// did not get as far as quitting it.
		if out, err := tm.tmuxErr("kill-server"); err != nil && tm.paneAlive() {
			t.Logf("tmux kill-server: %v %s", err, out)
		}
	})
	tm.tmux("-f", conf, "new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command)
	if got := strings.TrimSpace(tm.tmux("display-message", "-p", "-t", "e2e", "#{pane_width}x#{pane_height}")); got != fmt.Sprintf("%dx%d", width, height) {
		t.Fatalf("pane is %s, want %dx%d", got, width, height)
	}
	return tm
}

func (tm *term) tmuxErr(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-u", "-L", tm.socket}, args...)...)
	cmd.Env = tm.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := tm.tmuxErr(args...)
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (tm *term) paneAlive() bool {
	out, err := tm.tmuxErr("list-panes", "-t", "e2e", "-F", "#{pane_dead}")
	return err == nil && strings.TrimSpace(out) == "0"
}

// keys sends tmux key names (Enter, Escape) or, with literal, text as typed.
func (tm *term) keys(literal bool, keys ...string) {
	tm.t.Helper()
	args := []string{"send-keys", "-t", "e2e"}
	if literal {
		args = append(args, "-l")
	}
	tm.tmux(append(args, keys...)...)
}

// capture returns the screen, one string per row. -J joins rows the terminal
// wrapped, so a line the dashboard drew wider than the pane shows up as one
// over-long line instead of two plausible ones. Every capture is checked for
// that: the dashboard must fit any size it is given.
func (tm *term) capture() []string {
	tm.t.Helper()
	out := strings.TrimSuffix(tm.tmux("capture-pane", "-p", "-J", "-t", "e2e"), "\n")
	lines := strings.Split(out, "\n")
	if len(lines) > tm.height {
		tm.t.Fatalf("captured %d lines from a %d-line pane:\n%s", len(lines), tm.height, out)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > tm.width {
			tm.t.Fatalf("line %d is %d cells wide, the pane %d:\n%q\nscreen:\n%s", i+1, w, tm.width, l, out)
		}
	}
	tm.last = lines
	return lines
}

// waitFor polls the screen until ok accepts it, and fails with the last
// screen after the deadline.
func (tm *term) waitFor(what string, ok func(screen []string) bool) []string {
	tm.t.Helper()
	return tm.waitLonger(deadline, what, ok)
}

// waitLonger is waitFor with a deadline of its own, for what the demo fleet
// does on its own schedule (ci-pipelines flaps on a 30-second cycle).
func (tm *term) waitLonger(d time.Duration, what string, ok func(screen []string) bool) []string {
	tm.t.Helper()
	end := time.Now().Add(d)
	for {
		s := tm.capture()
		if ok(s) {
			return s
		}
		if time.Now().After(end) {
			tm.t.Fatalf("gave up waiting for %s; last screen:\n%s", what, strings.Join(s, "\n"))
		}
		time.Sleep(pollEvery)
	}
}

// row is one server line of the table.
type row struct {
	selected     bool
	status, name string
	rest         string // the columns after the name
	line         string
	index        int // its line on the screen
}

// reason is what a row says after FOR: a failing, skipped, degraded or
// warning row's reason (cut with … where the row ends).
func (r row) reason() string {
	rest := strings.TrimLeft(r.rest, " ")
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		return strings.TrimSpace(rest[i:])
	}
	return ""
}

var rowRE = regexp.MustCompile(`^(›| ) \S (auth_error|unhealthy|degraded|healthy|skipped|unknown) +(\S+)(.*)$`)

// rows parses the table rows on a screen, by server name.
func rows(screen []string) map[string]row {
	rs := map[string]row{}
	for i, l := range screen {
		if m := rowRE.FindStringSubmatch(l); m != nil {
			rs[m[3]] = row{selected: m[1] == "›", status: m[2], name: m[3], rest: m[4], line: l, index: i}
		}
	}
	return rs
}

var expiresRE = regexp.MustCompile(`expires in (\d+)s\b`)

// expiresIn is the token countdown of a row in seconds, or -1.
func (r row) expiresIn() int {
	m := expiresRE.FindStringSubmatch(r.rest)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checked is the Checked line of the detail view: "12s ago at 15:04:05,
// took 0.3ms, next in 3s", or "checking…, last 12s ago".
type checked struct {
	line        string
	checking    bool
	age, nextIn int    // seconds; -1 when not shown
	at          string // start time of the last check, when not checking
}

var (
	checkedRE = regexp.MustCompile(`^Checked +(\d+)s ago at (\d\d:\d\d:\d\d)\b`)
	nextInRE  = regexp.MustCompile(`next in (\d+)s$`)
)

func checkedLine(screen []string) checked {
	c := checked{age: -1, nextIn: -1}
	for _, l := range screen {
		if !strings.HasPrefix(l, "Checked ") {
			continue
		}
		l = strings.TrimRight(l, " ")
		c.line = l
		c.checking = strings.Contains(l, "checking…")
		if m := checkedRE.FindStringSubmatch(l); m != nil {
			c.age, _ = strconv.Atoi(m[1])
			c.at = m[2]
		}
		if m := nextInRE.FindStringSubmatch(l); m != nil {
			c.nextIn, _ = strconv.Atoi(m[1])
		}
	}
	return c
}

// isSettled reports whether every stable server of the fleet shows the
// status it should.
func isSettled(rs map[string]row) bool {
	for name, want := range settled {
		if rs[name].status != want {
			return false
		}
	}
	return true
}

func contains(screen []string, s string) bool {
	for _, l := range screen {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func lineWith(screen []string, s string) string {
	for _, l := range screen {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestDashboard80x24 drives the dashboard at the classic terminal size, where
// the table drops its message column, through every key a person uses first.
func TestDashboard80x24(t *testing.T) {
	t.Parallel()
	tm := startDemo(t, 80, 24)

	// The table, settled after the first sweep: each stable server with the
	// status its fault produces.
	screen := tm.waitFor("the first sweep to settle", func(s []string) bool { return isSettled(rows(s)) })
	if !strings.HasPrefix(screen[0], "mcpwatch") || !strings.Contains(screen[0], "embedded demo fleet") {
		t.Errorf("title line = %q, want mcpwatch and the demo fleet's source", screen[0])
	}
	if !contains(screen, "STATUS") || !contains(screen, "NAME") || !contains(screen, "LAST CHECK") {
		t.Errorf("no table header on screen:\n%s", strings.Join(screen, "\n"))
	}
	rs := rows(screen)
	if len(rs) != len(fleetNames) {
		t.Errorf("%d rows on screen, want all %d servers:\n%s", len(rs), len(fleetNames), strings.Join(screen, "\n"))
	}
	if !strings.HasSuffix(screen[len(screen)-1], "q quit") {
		t.Errorf("last line = %q, want the short help ending in q quit", screen[len(screen)-1])
	}

	// Without a key press, every row that is not healthy says why, at
	// least its first 40 cells, each reason once (no "token: token …").
	for name, want := range map[string]string{
		"payments":  "token endpoint refused",
		"inventory": "connection refused",
		"wiki":      "oauth2 authorization_code needs a user login",
	} {
		r := rs[name].reason()
		if !strings.HasPrefix(r, want) {
			t.Errorf("%s row = %q, want its reason %q after FOR", name, rs[name].line, want)
		}
		if n := ansi.StringWidth(r); n < 40 && strings.HasSuffix(r, "…") {
			t.Errorf("%s row shows %d cells of its reason, want at least 40: %q", name, n, r)
		}
	}

	// A token countdown on a client-credentials server, counting down
	// between two captures. (A refresh would raise it: start over then.)
	first := rs["analytics"].expiresIn()
	if first < 0 {
		t.Fatalf("analytics row has no token countdown: %q", rs["analytics"].line)
	}
	tm.waitFor("the analytics token countdown to go down", func(s []string) bool {
		n := rows(s)["analytics"].expiresIn()
		if n > first {
			first = n
		}
		return n >= 0 && n < first
	})

	// The skipped server's reason, on the table screen (on its row, and
	// whole on the line above the help, which says the selected server's
	// reason) and in its detail view.
	const reason = "oauth2 authorization_code needs a user login"
	tm.keys(true, "/")
	tm.keys(true, "wiki")
	tm.keys(false, "Enter")
	screen = tm.waitFor("the filter to leave only wiki", func(s []string) bool {
		rs := rows(s)
		return len(rs) == 1 && rs["wiki"].selected && strings.Contains(s[0], "filter: wiki")
	})
	if rows(screen)["wiki"].status != "skipped" {
		t.Errorf("wiki row = %q, want skipped", rows(screen)["wiki"].line)
	}
	if !contains(screen, reason) {
		t.Errorf("the skip reason %q is not on the table screen:\n%s", reason, strings.Join(screen, "\n"))
	}
	tm.keys(false, "Enter")
	screen = tm.waitFor("the wiki detail view", func(s []string) bool { return strings.HasPrefix(s[0], "mcpwatch › wiki") })
	if l := lineWith(screen, "Skipped "); !strings.Contains(l, reason) {
		t.Errorf("Skipped line = %q, want the reason:\n%s", l, strings.Join(screen, "\n"))
	}
	// One Escape per send-keys, after the screen has answered the last:
	// two ESC bytes in one read are a single alt+esc to the dashboard.
	tm.keys(false, "Escape")
	tm.waitFor("the table again", func(s []string) bool { return rows(s)["wiki"].selected })
	tm.keys(false, "Escape") // clears the filter
	tm.waitFor("the filter to clear", func(s []string) bool {
		return len(rows(s)) == len(fleetNames) && !strings.Contains(s[0], "filter:")
	})

	// Details of the auth_error server: the machine class of the failure.
	tm.keys(true, "/")
	tm.keys(true, "payments")
	tm.keys(false, "Enter")
	tm.waitFor("the filter to leave only payments", func(s []string) bool {
		rs := rows(s)
		return len(rs) == 1 && rs["payments"].selected && rs["payments"].status == "auth_error"
	})
	tm.keys(false, "Enter")
	screen = tm.waitFor("the payments detail view", func(s []string) bool {
		return strings.HasPrefix(s[0], "mcpwatch › payments") && contains(s, "token.invalid_client")
	})
	if l := lineWith(screen, "token.invalid_client"); !strings.Contains(l, "auth_error") || !strings.Contains(l, "token stage") {
		t.Errorf("status line = %q, want auth_error at the token stage", l)
	}

	// r rechecks the server. The table's LAST CHECK column moves in 5s
	// steps, as coarse as the fleet's interval; the detail view keeps the
	// exact age, the start time of the last check and when the next one is
	// due, so the recheck is read there: "checking…" until a snapshot
	// reports on it (a token-stage failure takes milliseconds, so that
	// may last a single poll of the dashboard), then a new start time. Press r when the scheduled check is at least 3s away, so that a
	// new check seen before it falls due is the recheck, not the schedule.
	var before checked
	tm.waitFor("the last check of payments to be 1s old or more and the next 3s away or more", func(s []string) bool {
		before = checkedLine(s)
		return before.at != "" && before.age >= 1 && before.nextIn >= 3
	})
	tm.keys(true, "r")
	var after checked
	tm.waitFor("the recheck to show", func(s []string) bool {
		after = checkedLine(s)
		if after.checking || (after.at != "" && after.at != before.at) {
			return true
		}
		if after.at == before.at && after.age >= before.age+before.nextIn-1 {
			t.Fatalf("r showed nothing before the scheduled check fell due: %q, then %q", before.line, after.line)
		}
		return false
	})
	t.Logf("r: %q -> %q", before.line, after.line)
	tm.keys(false, "Escape")
	tm.waitFor("the table again", func(s []string) bool { return rows(s)["payments"].selected })

	// Full help, and back.
	tm.keys(true, "?")
	screen = tm.waitFor("the full help", func(s []string) bool { return contains(s, "recheck all") })
	for _, want := range []string{"page up", "failing only", "details", "quit"} {
		if !contains(screen, want) {
			t.Errorf("full help lacks %q:\n%s", want, strings.Join(screen, "\n"))
		}
	}
	tm.keys(true, "?")
	tm.waitFor("the short help again", func(s []string) bool {
		return !contains(s, "recheck all") && strings.Contains(s[len(s)-1], "? help")
	})

	// q ends the program, and it exits 0.
	tm.keys(true, "q")
	status := tm.waitExit()
	if status != "0" {
		t.Errorf("mcpwatch demo exited with status %s after q, want 0; last screen:\n%s", status, strings.Join(tm.last, "\n"))
	}
}

// waitExit waits for the pane's process to end and returns mcpwatch's exit
// status as the pane's shell recorded it. (tmux's own #{pane_dead_status}
// is not always filled in by tmux 3.3; the shell's $? always is.)
func (tm *term) waitExit() string {
	tm.t.Helper()
	end := time.Now().Add(deadline)
	for {
		out, err := tm.tmuxErr("list-panes", "-t", "e2e", "-F", "#{pane_dead} #{pane_dead_status}")
		if err != nil {
			tm.t.Fatalf("tmux list-panes: %v %s", err, out)
		}
		if f := strings.Fields(out); len(f) > 0 && f[0] == "1" {
			b, err := os.ReadFile(tm.statusFile)
			if err != nil {
				tm.t.Fatalf("pane ended but mcpwatch's status was not recorded: %v", err)
			}
			status := strings.TrimSpace(string(b))
			if len(f) > 1 && f[1] != "0" {
				tm.t.Errorf("pane's shell exited with status %s", f[1])
			}
			return status
		}
		if time.Now().After(end) {
			tm.t.Fatalf("mcpwatch still running after q; screen:\n%s", strings.Join(tm.capture(), "\n"))
		}
		time.Sleep(pollEvery)
	}
}

// TestDashboard160x48 checks a large terminal: every server on screen, the
// wider table with its message column, and nothing drawn past the edge.
func TestDashboard160x48(t *testing.T) {
	t.Parallel()
	tm := startDemo(t, 160, 48)

	screen := tm.waitFor("the first sweep to settle", func(s []string) bool { return isSettled(rows(s)) })
	rs := rows(screen)
	for _, name := range fleetNames {
		if _, ok := rs[name]; !ok {
			t.Errorf("server %s not on screen:\n%s", name, strings.Join(screen, "\n"))
		}
	}
	// At 160 columns the reasons of the demo fleet are whole on their rows.
	for name, want := range map[string]string{
		"payments":  "token endpoint refused: invalid_client (client authentication failed), HTTP 401",
		"inventory": "connection refused",
		"wiki":      "oauth2 authorization_code needs a user login",
	} {
		if r := rs[name].reason(); !strings.HasPrefix(r, want) || strings.Contains(r, "…") {
			t.Errorf("%s row = %q, want its whole reason %q", name, rs[name].line, want)
		}
	}
	// capture checked every line against the width; check more frames
	// after the clock has moved on and the countdowns have been redrawn.
	tm.waitFor("the analytics token countdown to move", func(s []string) bool {
		return rows(s)["analytics"].expiresIn() != rs["analytics"].expiresIn()
	})

	tm.keys(true, "q")
	if status := tm.waitExit(); status != "0" {
		t.Errorf("mcpwatch demo exited with status %s after q, want 0", status)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
