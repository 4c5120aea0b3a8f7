package sshserver

import (
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// These tests drive the server with golang.org/x/crypto/ssh as the client:
// it reports exit statuses and keeps stdout and stderr apart, and it can do
// what OpenSSH will not (offer a key it cannot sign with, try a password
// against a server that offers none). openssh_test.go covers the real client.

func (f *fixture) dial(user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", f.srv.Addr().String(), &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.FixedHostKey(f.srv.hostKey),
		Timeout:         5 * time.Second,
	})
}

func (f *fixture) mustDial(user string, key userKey) *gossh.Client {
	f.t.Helper()
	c, err := f.dial(user, gossh.PublicKeys(key.signer))
	if err != nil {
		f.t.Fatalf("dial as %s: %v", user, err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// clientSession is one session of an in-process client.
type clientSession struct {
	t      *testing.T
	sess   *gossh.Session
	stdout *syncBuffer
	stderr *syncBuffer
	stdin  io.WriteCloser
	done   chan struct{}
	err    error // from Wait, once done is closed
}

// open starts a session; with a pty it asks for an 80x24 xterm-256color
// terminal, as an interactive ssh would.
func open(t *testing.T, c *gossh.Client, pty bool, env ...string) *clientSession {
	t.Helper()
	return openSized(t, c, pty, 80, 24, env...)
}

func openSized(t *testing.T, c *gossh.Client, pty bool, width, height int, env ...string) *clientSession {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	cs := &clientSession{t: t, sess: sess, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if err := sess.Setenv(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if pty {
		if err := sess.RequestPty("xterm-256color", height, width, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	sess.Stdout, sess.Stderr = cs.stdout, cs.stderr
	if cs.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { cs.err = sess.Wait(); close(cs.done) }()
	t.Cleanup(func() { sess.Close() })
	return cs
}

func (cs *clientSession) waitOutput(want string) {
	cs.t.Helper()
	waitUntil(cs.t, "output "+want, func() bool { return cs.stdout.contains(want) })
}

func (cs *clientSession) press(keys string) {
	cs.t.Helper()
	if _, err := io.WriteString(cs.stdin, keys); err != nil {
		cs.t.Fatal(err)
	}
}

// exit waits for the session to end and returns its exit status (-1 when
// the server sent none).
func (cs *clientSession) exit() int {
	cs.t.Helper()
	select {
	case <-cs.done:
	case <-time.After(deadline):
		cs.t.Fatalf("session did not end; stdout so far:\n%q\nstderr: %q", cs.stdout, cs.stderr)
	}
	var ee *gossh.ExitError
	switch {
	case cs.err == nil:
		return 0
	case errors.As(cs.err, &ee):
		return ee.ExitStatus()
	}
	return -1
}

func (cs *clientSession) running() bool {
	select {
	case <-cs.done:
		return false
	default:
		return true
	}
}

func TestMaxSessionsRefusesOneMore(t *testing.T) {
	f := startFixture(t, fixtureOptions{maxSessions: 2})
	c := f.mustDial("viewer", f.user)
	a, b := open(t, c, true), open(t, c, true)
	a.waitOutput(serverName)
	b.waitOutput(serverName)

	third := open(t, f.mustDial("late", f.user), true)
	if code := third.exit(); code != 1 {
		t.Errorf("the session over the limit exited %d, want 1", code)
	}
	if got := strings.TrimSpace(third.stderr.String()); got != "mcpwatch: too many sessions (the limit is 2); try again later" {
		t.Errorf("refusal %q", got)
	}
	if strings.Contains(third.stdout.String(), serverName) {
		t.Error("the refused session was shown the dashboard")
	}
	if !a.running() || !b.running() {
		t.Error("a refusal ended a session already running")
	}

	a.press("q")
	if code := a.exit(); code != 0 {
		t.Errorf("quitting with q exited %d, want 0", code)
	}
	again := open(t, c, true) // a slot is free again
	again.waitOutput(serverName)
	if !f.logs.contains("too many sessions") {
		t.Errorf("refusal not logged:\n%s", f.logs)
	}
}

// TestTerminalWithoutSizeGetsADashboard: ssh -tt from a script has no
// terminal of its own and asks for a 0x0 one; it still gets a dashboard.
func TestTerminalWithoutSizeGetsADashboard(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	openSized(t, f.mustDial("viewer", f.user), true, 0, 0).waitOutput(serverName)
}

// TestAuthorizedKeysAreReadAgain: keys added or removed take effect without
// a restart, including for a connection that authenticated before its key
// was removed (the middleware checks the key again for every session).
func TestAuthorizedKeysAreReadAgain(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	if _, err := f.dial("stranger", gossh.PublicKeys(f.stranger.signer)); err == nil {
		t.Fatal("a key not in the file got in")
	}
	early := f.mustDial("viewer", f.user) // authenticated while its key is listed

	f.writeAuthorized(f.stranger.line)
	open(t, f.mustDial("stranger", f.stranger), true).waitOutput(serverName)
	if _, err := f.dial("viewer", gossh.PublicKeys(f.user.signer)); err == nil {
		t.Error("a key removed from the file still authenticates")
	}

	late := open(t, early, true)
	if code := late.exit(); code != 1 {
		t.Errorf("session on a connection whose key was removed exited %d, want 1", code)
	}
	if got := strings.TrimSpace(late.stderr.String()); got != "mcpwatch: permission denied" {
		t.Errorf("refusal %q", got)
	}
	if strings.Contains(late.stdout.String(), serverName) {
		t.Error("a session whose key was removed was shown the dashboard")
	}
	if !f.logs.contains("key not authorized") || !f.logs.contains(f.user.fingerprint()) {
		t.Errorf("refusal not logged with the key's fingerprint:\n%s", f.logs)
	}
}

// querySigner offers a public key but cannot sign: it is someone else's
// public key, which anyone may have.
type querySigner struct{ pub gossh.PublicKey }

func (q querySigner) PublicKey() gossh.PublicKey { return q.pub }
func (q querySigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	return nil, errors.New("no private key")
}

func (q querySigner) SignWithAlgorithm(io.Reader, []byte, string) (*gossh.Signature, error) {
	return nil, errors.New("no private key")
}

// offerThen authenticates with methods in order (the publickey method more
// than once, which a ClientConfig.Auth list would not do).
func offerThen(methods ...gossh.AuthMethod) func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
	return func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		if len(methods) == 0 {
			return nil, nil
		}
		m := methods[0]
		methods = methods[1:]
		return m, nil
	}
}

// TestIdentityIsTheKeyThatAuthenticated: the public-key callback sees every
// key a client offers, signed or not; only the key that signed is who the
// session is.
func TestIdentityIsTheKeyThatAuthenticated(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	dial := func(user string, then userKey) (*gossh.Client, error) {
		return gossh.Dial("tcp", f.srv.Addr().String(), &gossh.ClientConfig{
			User:            user,
			HostKeyCallback: gossh.FixedHostKey(f.srv.hostKey),
			Timeout:         5 * time.Second,
			AuthCallback: offerThen(
				gossh.PublicKeysCallback(func() ([]gossh.Signer, error) {
					return []gossh.Signer{querySigner{f.user.signer.PublicKey()}}, nil
				}),
				gossh.PublicKeys(then.signer)),
		})
	}

	// Offering an authorized public key without its private key, then
	// signing with an unauthorized one, gets nobody in.
	if c, err := dial("mallory", f.stranger); err == nil {
		c.Close()
		t.Fatal("offering an authorized public key (without its private key) let an unauthorized key in")
	}

	// With both keys authorized, the session is the key that signed.
	f.writeAuthorized(f.user.line, f.stranger.line)
	c, err := dial("carol", f.stranger)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := open(t, c, true)
	s.waitOutput(serverName)
	s.press("q")
	s.exit()
	waitUntil(t, "the session end to be logged", func() bool { return f.logs.contains("ssh session end") })
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(line, "user=carol") && strings.Contains(line, "ssh session") {
			if !strings.Contains(line, "fingerprint="+f.stranger.fingerprint()) || strings.Contains(line, f.user.fingerprint()) {
				t.Errorf("session logged with the wrong key (want %s, the signer):\n%s", f.stranger.fingerprint(), line)
			}
		}
	}
}

func TestPasswordAndKeyboardInteractiveAreNotOffered(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	asked := 0
	_, err := f.dial("viewer",
		gossh.Password("hunter2"),
		gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			asked++
			return nil, nil
		}))
	if err == nil {
		t.Fatal("password / keyboard-interactive login succeeded")
	}
	// The server lists the methods it accepts; the client tried only what was listed.
	if !strings.Contains(err.Error(), "attempted methods [none]") || !strings.Contains(err.Error(), "no supported methods remain") {
		t.Errorf("error %q: the server seems to offer more than publickey", err)
	}
	if asked != 0 {
		t.Error("the server sent a keyboard-interactive challenge")
	}
}

func TestIdleTimeoutClosesAQuietConnection(t *testing.T) {
	f := startFixture(t, fixtureOptions{idle: 300 * time.Millisecond})
	c := f.mustDial("viewer", f.user) // no session: nothing is written either way
	closed := make(chan struct{})
	go func() { c.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(deadline):
		t.Fatal("an idle connection was not closed")
	}
}

// TestMaxTimeoutEndsASession: the dashboard writes whenever something
// changes, which resets the idle timer; the maximum length is what ends a
// forgotten session. It ends politely just before the hard deadline.
func TestMaxTimeoutEndsASession(t *testing.T) {
	f := startFixture(t, fixtureOptions{max: 4 * time.Second})
	s := open(t, f.mustDial("viewer", f.user), true)
	s.waitOutput(serverName)
	if code := s.exit(); code != 1 {
		t.Errorf("a session at its maximum length exited %d, want 1", code)
	}
	if got := strings.TrimSpace(s.stderr.String()); got != "mcpwatch: this session reached its maximum length (4s); reconnect to continue" {
		t.Errorf("stderr %q", got)
	}
	if !strings.Contains(s.stdout.String(), "\x1b[?1049l") {
		t.Error("the viewer's terminal was not taken out of the alternate screen before the session ended")
	}

	quiet := f.mustDial("viewer", f.user) // and the connection itself is cut at the hard deadline
	closed := make(chan struct{})
	go func() { quiet.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(deadline):
		t.Fatal("a connection outlived the maximum timeout")
	}
}

// colour matches an SGR sequence that sets a foreground or background
// colour (basic, bright, 256 or true colour); resets (39, 49) do not count.
var colour = regexp.MustCompile(`\x1b\[(?:[0-9:]*;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:[;:][0-9:;]*)?m`)

func TestColourIsDecidedPerSession(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	c := f.mustDial("viewer", f.user)
	plain := open(t, c, true, "NO_COLOR=1")
	colourful := open(t, c, true)
	plain.waitOutput(serverName)
	colourful.waitOutput(serverName)
	f.pool.RecheckAll() // one more frame each, after the background colour answer
	f.waitChecks(2)
	time.Sleep(600 * time.Millisecond) // let both poll and draw it

	if !colour.MatchString(colourful.stdout.String()) {
		t.Errorf("xterm-256color session has no colour:\n%q", colourful.stdout)
	}
	if m := colour.FindString(plain.stdout.String()); m != "" {
		t.Errorf("NO_COLOR session has colour %q:\n%q", m, plain.stdout)
	}
}

// TestPanicEndsOnlyThatSession: a panic in the session chain (injected
// through the test hook) and one in the dashboard itself each end their own
// session with one line; the server and another viewer carry on.
func TestPanicEndsOnlyThatSession(t *testing.T) {
	f := startFixture(t, fixtureOptions{
		beforeDashboard: func(sess ssh.Session) {
			if sess.User() == "boom" {
				panic("injected in the session chain")
			}
		},
		wrapModel: func(m tea.Model) tea.Model { return panicOnBang{m} },
	})
	watcher := open(t, f.mustDial("viewer", f.user), true)
	watcher.waitOutput(serverName)

	chain := open(t, f.mustDial("boom", f.user), true)
	model := open(t, f.mustDial("viewer", f.user), true)
	model.waitOutput(serverName)
	model.press("!")
	for name, s := range map[string]*clientSession{"chain": chain, "model": model} {
		if code := s.exit(); code != 1 {
			t.Errorf("%s panic: exit %d, want 1", name, code)
		}
		if got := strings.TrimSpace(s.stderr.String()); got != "mcpwatch: internal error; this session was closed (the server keeps running)" {
			t.Errorf("%s panic: stderr %q", name, got)
		}
	}
	for _, want := range []string{"ssh session panicked", "injected in the session chain", "dashboard panicked"} {
		if !f.logs.contains(want) {
			t.Errorf("log lacks %q:\n%s", want, f.logs)
		}
	}

	// The other viewer still sees the fleet change.
	f.backend.fail.Store(true)
	f.pool.RecheckAll()
	watcher.waitOutput("handshake:") // the failing row's message
	if !watcher.running() {
		t.Error("the watching session ended")
	}
	// And the server still lets people in.
	open(t, f.mustDial("viewer", f.user), true).waitOutput(serverName)
}

type panicOnBang struct{ tea.Model }

func (p panicOnBang) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "!" {
		panic("injected in the dashboard")
	}
	m, cmd := p.Model.Update(msg)
	return panicOnBang{m}, cmd
}

// TestShutdownEndsSessionsAndConnections: on shutdown every session is told
// why and ends, connections still in the handshake are closed, nothing new
// gets in, and Serve returns (goleak in TestMain checks nothing is left).
func TestShutdownEndsSessionsAndConnections(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	s := open(t, f.mustDial("viewer", f.user), true)
	s.waitOutput(serverName)
	raw, err := net.Dial("tcp", f.srv.Addr().String()) // never says a word
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	f.stop()
	if code := s.exit(); code != 1 {
		t.Errorf("session at shutdown exited %d, want 1", code)
	}
	if got := strings.TrimSpace(s.stderr.String()); got != "mcpwatch: the server is shutting down" {
		t.Errorf("stderr %q", got)
	}
	if !strings.Contains(s.stdout.String(), "\x1b[?1049l") {
		t.Error("the viewer's terminal was not restored (alternate screen left) before the session ended")
	}
	raw.SetReadDeadline(time.Now().Add(deadline))
	if _, err := io.ReadAll(raw); err != nil {
		t.Errorf("a connection in the handshake was not closed at shutdown: %v", err)
	}
	if _, err := f.dial("viewer", gossh.PublicKeys(f.user.signer)); err == nil {
		t.Error("a connection was accepted after shutdown")
	}
	if !f.logs.contains("ssh server stopped") {
		t.Errorf("no stop logged:\n%s", f.logs)
	}
	if end := logLine(f.logs.String(), "ssh session end"); !strings.Contains(end, `why="the server is shutting down"`) ||
		!strings.Contains(end, "fingerprint="+f.user.fingerprint()) || !strings.Contains(end, "remote=127.0.0.1:") || !strings.Contains(end, "duration=") {
		t.Errorf("the session end is not logged with who, from where, how long and why: %q\n%s", end, f.logs)
	}
}

// logLine is the first log line containing sub ("" if none).
func logLine(logs, sub string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// wedgeOnW stops the dashboard dead in Update when w is pressed, until
// released: a stand-in for a session that cannot be stopped politely.
type wedgeOnW struct {
	tea.Model
	wedged  chan<- struct{}
	release <-chan struct{}
}

func (w wedgeOnW) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "w" {
		w.wedged <- struct{}{}
		<-w.release
	}
	m, cmd := w.Model.Update(msg)
	return wedgeOnW{m, w.wedged, w.release}, cmd
}

// TestShutdownIsBoundedWhenADashboardIsWedged: a session that does not end
// when asked, nor when its connection is closed, does not hold shutdown
// past its bound; it is logged and left behind.
func TestShutdownIsBoundedWhenADashboardIsWedged(t *testing.T) {
	wedged, release := make(chan struct{}, 1), make(chan struct{})
	f := startFixture(t, fixtureOptions{wrapModel: func(m tea.Model) tea.Model { return wedgeOnW{m, wedged, release} }})
	var once sync.Once
	unwedge := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unwedge) // before the fixture's own cleanup stops the server

	other := open(t, f.mustDial("viewer", f.user), true)
	s := open(t, f.mustDial("viewer", f.user), true)
	s.waitOutput(serverName)
	other.waitOutput(serverName)
	s.press("w")
	select {
	case <-wedged:
	case <-time.After(deadline):
		t.Fatal("the dashboard never got w")
	}

	start := time.Now()
	stopped := make(chan struct{})
	go func() { f.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(deadline):
		unwedge()
		<-stopped
		t.Fatalf("Serve did not return while a dashboard was wedged (it did %s after the wedge was released)", time.Since(start).Round(time.Millisecond))
	}
	took := time.Since(start)
	t.Logf("Serve returned %s after shutdown began, one dashboard wedged", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("shutdown took %s; the bound is 5s", took)
	}
	if code := other.exit(); code != 1 || !strings.Contains(other.stderr.String(), "mcpwatch: the server is shutting down") {
		t.Errorf("the other viewer at shutdown: exit %d, stderr %q", code, other.stderr)
	}
	if !f.logs.contains("did not end") {
		t.Errorf("the wedged session is not logged:\n%s", f.logs)
	}
	unwedge()
}

// TestSessionEndsAreLogged: every way a session ends is logged with who,
// from where, how long and why.
func TestSessionEndsAreLogged(t *testing.T) {
	f := startFixture(t, fixtureOptions{maxSessions: 1})
	c := f.mustDial("quitter", f.user)
	s := open(t, c, true)
	s.waitOutput(serverName)

	over := open(t, f.mustDial("over", f.user), true) // beyond max sessions
	over.exit()
	noPTY := open(t, f.mustDial("nopty", f.user), false)
	noPTY.exit()

	s.press("q")
	s.exit()
	leaver := open(t, f.mustDial("leaver", f.user), true)
	leaver.waitOutput(serverName)
	leaver.stdin.Close() // the client closes its side
	leaver.exit()

	f.writeAuthorized(f.stranger.line)
	removed := open(t, c, true) // the connection's key is no longer listed
	removed.exit()

	want := map[string]string{
		"quitter": `why="viewer quit"`,
		"over":    `why="refused: too many sessions"`,
		"nopty":   `why="refused: no terminal"`,
		"leaver":  `why="viewer closed the session"`,
	}
	waitUntil(t, "every session end to be logged", func() bool {
		return strings.Count(f.logs.String(), "ssh session end") >= 5
	})
	logs := f.logs.String()
	for user, why := range want {
		var end string
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "ssh session end") && strings.Contains(l, "user="+user) && strings.Contains(l, why) {
				end = l
			}
		}
		if end == "" {
			t.Errorf("no session end for %s with %s:\n%s", user, why, logs)
			continue
		}
		for _, attr := range []string{"fingerprint=" + f.user.fingerprint(), "remote=127.0.0.1:", "duration="} {
			if !strings.Contains(end, attr) {
				t.Errorf("the end of %s's session lacks %s: %s", user, attr, end)
			}
		}
	}
	if n := strings.Count(logs, `why="refused: key not authorized"`); n != 1 {
		t.Errorf("%d ends for the removed key, want 1:\n%s", n, logs)
	}
}
