package sshserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// rawFlood opens n TCP connections to the server from the loopback address
// src that never say a word, and sorts them: admitted ones get the server's
// version line and are left open (held); refused ones are closed by the
// server before it says anything. Every connection is closed at cleanup.
func rawFlood(t *testing.T, f *fixture, src string, n int) (held []net.Conn, refused int) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: deadline}
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := d.Dial("tcp", f.srv.Addr().String())
		if err != nil {
			t.Fatalf("dial from %s: %v", src, err) // the kernel accepts; the server decides
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(deadline))
		line, err := bufio.NewReader(c).ReadString('\n')
		switch {
		case strings.HasPrefix(line, "SSH-2.0-"):
			held = append(held, c)
		case line == "" && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
			refused++
		default:
			t.Fatalf("connection from %s: read %q, %v; want the server's version line or a close", src, line, err)
		}
	}
	return held, refused
}

// stillOpen reports whether the server has not closed c (a read that times
// out means nothing came and nothing closed).
func stillOpen(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func countLines(logs, sub string) int {
	n := 0
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// TestUnauthenticatedFloodFromOneSource: 200 connections from one address
// that never authenticate get at most the per-source cap of slots (the rest
// are closed at once, and the log says so in a few lines, not 192), and an
// authorized viewer from another address logs in meanwhile.
func TestUnauthenticatedFloodFromOneSource(t *testing.T) {
	f := startFixture(t, fixtureOptions{authTimeout: time.Minute}) // held for the whole test
	held, refused := rawFlood(t, f, "127.0.0.2", 200)
	t.Logf("200 connections from one address: %d held, %d refused", len(held), refused)
	if len(held) != DefaultMaxUnauthenticatedPerSource {
		t.Errorf("%d connections from one address were let into the handshake, want the per-source cap %d",
			len(held), DefaultMaxUnauthenticatedPerSource)
	}
	if got := f.srv.unauthenticated(); got != len(held) {
		t.Errorf("the server counts %d unauthenticated connections, want %d", got, len(held))
	}

	s := open(t, f.mustDial("viewer", f.user), true) // from 127.0.0.1
	s.waitOutput(serverName)
	s.press("q")
	if code := s.exit(); code != 0 {
		t.Errorf("the authorized viewer's session exited %d", code)
	}
	for i, c := range held {
		if !stillOpen(c) {
			t.Errorf("held connection %d was closed before its deadline", i)
		}
	}
	logs := f.logs.String()
	if n := countLines(logs, "ssh connection refused"); n == 0 || n > 4 {
		t.Errorf("%d refusal lines in the log for %d refusals; want a few (at most one per reason and source every %s):\n%s",
			n, refused, refusalLogEvery, logs)
	}
	if !strings.Contains(logs, "source=127.0.0.2") {
		t.Errorf("the refusals do not name the source:\n%s", logs)
	}
}

// TestUnauthenticatedTotalCap: many sources together get at most the total
// cap; a slot freed is a slot available again.
func TestUnauthenticatedTotalCap(t *testing.T) {
	f := startFixture(t, fixtureOptions{authTimeout: time.Minute, maxUnauth: 6, maxUnauthSource: 2})
	var all []net.Conn
	for _, src := range []string{"127.0.0.10", "127.0.0.11", "127.0.0.12"} {
		held, _ := rawFlood(t, f, src, 2)
		if len(held) != 2 {
			t.Fatalf("%s: %d held, want 2", src, len(held))
		}
		all = append(all, held...)
	}
	if held, refused := rawFlood(t, f, "127.0.0.13", 1); len(held) != 0 || refused != 1 {
		t.Errorf("a connection over the total cap: %d held, %d refused; want it refused", len(held), refused)
	}
	if _, err := f.dial("viewer", gossh.PublicKeys(f.user.signer)); err == nil {
		t.Error("a login got in while the total cap was full")
	}
	if !f.logs.contains("too many unauthenticated connections") {
		t.Errorf("the total cap refusal is not logged:\n%s", f.logs)
	}

	all[0].Close()
	waitUntil(t, "the slot to be freed", func() bool { return f.srv.unauthenticated() == 5 })
	open(t, f.mustDial("viewer", f.user), true).waitOutput(serverName)
}

// TestConnectRateLimitPerSource: past its burst, a source gets no new
// connection until its budget refills, whatever the caps say.
func TestConnectRateLimitPerSource(t *testing.T) {
	f := startFixture(t, fixtureOptions{authTimeout: time.Minute, maxUnauthSource: 100, perMinute: 5})
	held, refused := rawFlood(t, f, "127.0.0.3", 12)
	if len(held) != 5 || refused != 7 {
		t.Errorf("12 connections at 5 a minute: %d held, %d refused; want 5 and 7", len(held), refused)
	}
	if !f.logs.contains("too many new connections") {
		t.Errorf("the rate limit is not logged:\n%s", f.logs)
	}
	// Another source has its own budget.
	open(t, f.mustDial("viewer", f.user), true).waitOutput(serverName)
}

// TestAuthTimeout: a connection that does not authenticate within the
// deadline is closed and its slot freed; one that authenticated is not
// held to it.
func TestAuthTimeout(t *testing.T) {
	const limit = 2 * time.Second // time enough for a handshake under -race on a busy machine
	f := startFixture(t, fixtureOptions{authTimeout: limit})

	silent, _ := rawFlood(t, f, "127.0.0.4", 1)
	if len(silent) != 1 {
		t.Fatal("the silent connection was refused")
	}
	// One that starts the protocol and then stalls fares no better.
	talker, _ := rawFlood(t, f, "127.0.0.5", 1)
	if len(talker) != 1 {
		t.Fatal("the stalling connection was refused")
	}
	if _, err := io.WriteString(talker[0], "SSH-2.0-stalls\r\n"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]net.Conn{"silent": silent[0], "stalling": talker[0]} {
		_ = c.SetReadDeadline(time.Now().Add(deadline))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Errorf("the %s connection was not closed by the server: %v", name, err)
		}
	}
	waitUntil(t, "the slots to be freed", func() bool { return f.srv.unauthenticated() == 0 })

	c := f.mustDial("viewer", f.user)
	waitUntil(t, "the authenticated connection to leave the unauthenticated count", func() bool { return f.srv.unauthenticated() == 0 })
	time.Sleep(limit + limit/2) // past the deadline it would have had before authenticating
	open(t, c, true).waitOutput(serverName)
	if !f.logs.contains("ssh connection failed") {
		t.Errorf("the timed-out handshakes are not logged:\n%s", f.logs)
	}
}

// TestSessionChannelsPerConnection: one connection cannot open session
// channels without end (each costs the server a goroutine and buffers even
// before it asks for a shell).
func TestSessionChannelsPerConnection(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	c := f.mustDial("viewer", f.user)
	var open []*gossh.Session
	for i := range maxChannelsPerConn {
		s, err := c.NewSession()
		if err != nil {
			t.Fatalf("session channel %d of %d refused: %v", i+1, maxChannelsPerConn, err)
		}
		open = append(open, s)
	}
	_, err := c.NewSession()
	var oce *gossh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != gossh.ResourceShortage {
		t.Fatalf("session channel %d: %v; want a resource-shortage refusal", maxChannelsPerConn+1, err)
	}
	open[0].Close()
	waitUntil(t, "a channel slot to be freed", func() bool {
		s, err := c.NewSession()
		if err != nil {
			return false
		}
		s.Close()
		return true
	})
	// Other connections have their own.
	openSized(t, f.mustDial("viewer", f.user), true, 80, 24).waitOutput(serverName)
}

func TestSourceKey(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:2222", "127.0.0.1"},
		{"192.0.2.7:40000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:22", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::1]:22", "2001:db8:1:2::/64"},
		{"[::1]:22", "::/64"},
	} {
		ap, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := sourceKey(ap); got != tc.want {
			t.Errorf("sourceKey(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestEnvRequestsAreBounded: the environment a session sends before its
// shell is kept by the SSH library; a client sending thousands of large
// variables must not grow the server's memory with them.
func TestEnvRequestsAreBounded(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	base := heapInuse()
	c := f.mustDial("viewer", f.user)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	accepted := func(n, size int) (ok int) {
		v := strings.Repeat("x", size)
		for i := range n {
			if sess.Setenv(fmt.Sprintf("V%d_%d", size, i), v) == nil {
				ok++
			}
		}
		return ok
	}
	if got := accepted(100, 10); got != maxEnvVars {
		t.Errorf("%d of 100 small variables accepted, want %d", got, maxEnvVars)
	}
	if got := accepted(4000, 32<<10); got != 0 { // 128 MB of environment if all were kept
		t.Errorf("%d of 4000 variables of 32 KiB accepted, want none", got)
	}
	checkHeap(t, "after 4100 variables, 4000 of them 32 KiB", base)
}

// TestEnvRequestsThatMatterArrive: within the limits, the environment
// reaches the dashboard (NO_COLOR turns colour off).
func TestEnvRequestsThatMatterArrive(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	plain := open(t, f.mustDial("viewer", f.user), true, "LANG=C.UTF-8", "NO_COLOR=1")
	plain.waitOutput(serverName)
	time.Sleep(600 * time.Millisecond) // a few more frames
	if m := colour.FindString(plain.stdout.String()); m != "" {
		t.Errorf("NO_COLOR sent, yet colour %q", m)
	}
}
