// Package sshserver serves the mcpwatch dashboard over SSH, for operators who
// reach a jump host with ssh and want the live view without installing
// anything. It is built on Wish (charm.land/wish/v2).
//
// One probe pool serves every viewer: the server never probes anything
// itself, it only reads the tui.Source it is given (the pool cmd started
// once). Every session is a separate Bubble Tea program with its own
// tui.Model, so each viewer has its own size, colour profile, cursor, filter
// and sort; a recheck pressed in one session goes to the shared pool, so
// every session sees it.
//
// Access is by public key only, against an authorized_keys file that is read
// again when it changes. There is no password or keyboard-interactive
// handler at all (with none installed, the SSH library would let everyone
// in if the public-key handler were missing too, so New refuses to build a
// server without the file).
package sshserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mcpwatch/mcpwatch/tui"
)

// DefaultMaxSessions is the number of dashboard sessions served at once
// when Options.MaxSessions is zero.
const DefaultMaxSessions = 10

// Shutdown is bounded: sessions get shutdownGrace to leave politely
// (restore the viewer's terminal, print why); then every program is killed
// and every connection closed, and what has not ended shutdownForce later
// is logged and left behind, so Serve returns within the sum whatever a
// session does. cmd/serve.go stops the probe pool meanwhile, and the whole
// process ends within 5 seconds of SIGTERM.
// Within the grace, once the sessions have ended, their clients get up to
// shutdownDrain to close their connections themselves: closing under a
// client that is still saying goodbye resets the connection, and OpenSSH
// then reports an error (exit 255) instead of the session's exit status.
const (
	shutdownGrace = 3 * time.Second
	shutdownDrain = 500 * time.Millisecond
	shutdownForce = 1 * time.Second
)

// Options configure a Server.
type Options struct {
	Addr               string        // TCP address to listen on, e.g. ":2222" or "127.0.0.1:0"
	HostKeyPath        string        // private host key; created (ed25519, 0600) when missing
	AuthorizedKeysPath string        // OpenSSH authorized_keys: the only way in
	MaxSessions        int           // dashboard sessions at once; 0 means DefaultMaxSessions
	IdleTimeout        time.Duration // close a connection after this long without traffic; 0: never
	MaxTimeout         time.Duration // close a connection this long after it opened; 0: never
	Color              string        // "auto" (or ""), "always" or "never", for every session
	Source             tui.Source    // what every session shows: the one shared probe pool
	History            tui.History   // the state store every session's events view reads; nil: history is off
	Logger             *slog.Logger  // connects, disconnects, refusals; nil means slog.Default()

	// Before authentication (see limits.go); zero means the default.
	AuthTimeout                 time.Duration // handshake and authentication must finish within this
	MaxUnauthenticated          int           // connections not yet authenticated, all sources together
	MaxUnauthenticatedPerSource int           // the same, per source (IPv4 address, IPv6 /64)
	ConnectsPerMinute           int           // new connections per source per minute (the burst is the same)
}

// Server is the SSH server. New builds it and binds its address; Serve runs
// it until its context ends.
type Server struct {
	opts    Options
	log     *slog.Logger
	ssh     *ssh.Server
	ln      net.Listener
	keys    *authorizedKeys
	hostKey gossh.PublicKey
	gate    *gate // admits unauthenticated connections

	mu         sync.Mutex
	closing    bool
	active     int                     // dashboard sessions running
	dashboards map[*dashboard]struct{} // to stop at shutdown
	windows    map[ssh.Session]*window // every session's window, from its pty request until its requests end
	conns      map[*trackedConn]struct{}
	handlers   sync.WaitGroup // every session handler in flight
	connWG     sync.WaitGroup // every connection goroutine of the SSH library

	// Test hooks, set before Serve: beforeDashboard runs inside the session
	// middleware chain (a panic there is what the recover middleware is
	// for); wrapModel wraps each session's model.
	beforeDashboard func(ssh.Session)
	wrapModel       func(tea.Model) tea.Model
}

type (
	connStartKey   struct{} // when the connection was accepted
	trackedConnKey struct{} // the connection's *trackedConn
)

// New checks the options, loads the authorized keys, loads or creates the
// host key and binds the address, so that every mistake shows up before
// anything runs. Call Serve, or Close if Serve will not be called.
func New(o Options) (*Server, error) {
	switch {
	case o.Source == nil:
		return nil, errors.New("sshserver: no Source to show")
	case o.HostKeyPath == "":
		return nil, errors.New("sshserver: no host key path")
	case o.AuthorizedKeysPath == "":
		return nil, errors.New("sshserver: no authorized keys file (public-key auth is the only way in)")
	case o.MaxSessions < 0:
		return nil, fmt.Errorf("sshserver: max sessions %d is negative", o.MaxSessions)
	case o.IdleTimeout < 0 || o.MaxTimeout < 0 || o.AuthTimeout < 0:
		return nil, errors.New("sshserver: timeouts cannot be negative")
	case o.MaxUnauthenticated < 0 || o.MaxUnauthenticatedPerSource < 0 || o.ConnectsPerMinute < 0:
		return nil, errors.New("sshserver: connection limits cannot be negative")
	}
	switch o.Color {
	case "":
		o.Color = "auto"
	case "auto", "always", "never":
	default:
		return nil, fmt.Errorf("sshserver: colour %q is not auto, always or never", o.Color)
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.AuthTimeout == 0 {
		o.AuthTimeout = DefaultAuthTimeout
	}
	if o.MaxUnauthenticated == 0 {
		o.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if o.MaxUnauthenticatedPerSource == 0 {
		o.MaxUnauthenticatedPerSource = DefaultMaxUnauthenticatedPerSource
	}
	if o.ConnectsPerMinute == 0 {
		o.ConnectsPerMinute = DefaultConnectsPerMinute
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	keys, n, err := loadAuthorizedKeys(o.AuthorizedKeysPath, log)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		log.Warn("no usable key in the authorized keys file: nobody can log in until one is added", "path", o.AuthorizedKeysPath)
	}
	signer, err := loadOrCreateHostKey(o.HostKeyPath, log)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:       o,
		log:        log,
		keys:       keys,
		hostKey:    signer.PublicKey(),
		gate:       newGate(o.MaxUnauthenticated, o.MaxUnauthenticatedPerSource, o.ConnectsPerMinute),
		dashboards: map[*dashboard]struct{}{},
		windows:    map[ssh.Session]*window{},
		conns:      map[*trackedConn]struct{}{},
	}
	s.ssh, err = wish.NewServer(
		wish.WithVersion("mcpwatch"),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		// The only authentication method. No password or keyboard-
		// interactive handler is installed, so clients cannot even try them.
		wish.WithPublicKeyAuth(func(_ ssh.Context, key ssh.PublicKey) bool { return s.keys.allowed(key) }),
		wish.WithIdleTimeout(o.IdleTimeout),
		wish.WithMaxTimeout(o.MaxTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("sshserver: %w", err)
	}
	// The version exchange, key exchange and authentication together must
	// finish within AuthTimeout (the library sets it as the connection's
	// deadline until the handshake is done).
	s.ssh.HandshakeTimeout = o.AuthTimeout
	s.ssh.ConnCallback = s.acceptConn
	s.ssh.ServerConfigCallback = s.serverConfig
	s.ssh.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
	// The terminal is emulated (no pty is allocated on the server); each
	// session's window is followed from its pty request on (window.go).
	if err := s.ssh.SetOption(ssh.EmulatePty()); err != nil {
		return nil, fmt.Errorf("sshserver: %w", err)
	}
	s.ssh.PtyHandler = s.followWindow(s.ssh.PtyHandler)
	s.ssh.ConnectionCloseCallback = func(net.Conn) { s.connWG.Done() }
	s.ssh.ConnectionFailedCallback = func(c net.Conn, err error) {
		s.log.Info("ssh connection failed", "remote", c.RemoteAddr().String(), "err", err.Error())
	}
	// Outermost first. Each session passes every gate before it gets a
	// dashboard; a refusal is one line on the session's stderr and exit 1.
	s.ssh.Handler = chain(s.runDashboard,
		s.superviseSession,
		s.recoverPanics,
		s.requireAuthorizedKey,
		s.testHook,
		s.requirePTY,
		s.limitSessions,
	)
	s.ln, err = net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("sshserver: %w", err)
	}
	return s, nil
}

// chain wraps h in mws, the first being the outermost.
func chain(h ssh.Handler, mws ...wish.Middleware) ssh.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Addr is the address the server listens on (with the real port when the
// options asked for port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// HostKeyFingerprint is the SHA256 fingerprint of the host key, as ssh shows it.
func (s *Server) HostKeyFingerprint() string { return gossh.FingerprintSHA256(s.hostKey) }

// Close releases the listener of a server whose Serve was never called.
func (s *Server) Close() error { return s.ln.Close() }

// Serve accepts connections until ctx ends, then shuts down gracefully:
// it stops accepting, asks every dashboard to quit (restoring the viewer's
// terminal and telling them why), waits briefly, closes every connection
// and returns when every goroutine it started has finished. The pool is the
// caller's: stop it after Serve returns.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("ssh server listening", "addr", s.Addr().String(), "host_key", s.HostKeyFingerprint(),
		"authorized_keys", s.opts.AuthorizedKeysPath, "max_sessions", s.opts.MaxSessions,
		"idle_timeout", s.opts.IdleTimeout, "max_timeout", s.opts.MaxTimeout,
		"auth_timeout", s.opts.AuthTimeout, "max_unauthenticated", s.opts.MaxUnauthenticated,
		"max_unauthenticated_per_source", s.opts.MaxUnauthenticatedPerSource,
		"connects_per_minute", s.opts.ConnectsPerMinute)
	errc := make(chan error, 1)
	go func() { errc <- s.ssh.Serve(s.ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc: // the listener failed under us
	}
	s.shutdown()
	if err == nil {
		<-errc // what Accept says after the listener closed does not matter
	}
	s.log.Info("ssh server stopped")
	if errors.Is(err, ssh.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) shutdown() {
	graceEnds := time.Now().Add(shutdownGrace)
	s.mu.Lock()
	s.closing = true
	stopping := make([]*dashboard, 0, len(s.dashboards))
	for d := range s.dashboards {
		stopping = append(stopping, d)
	}
	for c := range s.conns { // nobody to say goodbye to before authentication
		if !c.authDone.Load() {
			_ = c.Conn.Close()
		}
	}
	s.mu.Unlock()
	_ = s.ln.Close() // stop accepting first

	// Each goroutine here ends once its program has (Quit and Kill wait for
	// it); a wedged program keeps its goroutine, which Serve leaves behind.
	var stops sync.WaitGroup
	for _, d := range stopping {
		stops.Go(func() { d.stop("the server is shutting down", "the server is shutting down") })
	}
	handlersDone := make(chan struct{})
	go func() { s.handlers.Wait(); close(handlersDone) }()
	connsDone := make(chan struct{})
	go func() { s.connWG.Wait(); close(connsDone) }()
	graceTimer := time.NewTimer(time.Until(graceEnds))
	defer graceTimer.Stop()
	select {
	case <-handlersDone:
		drain := time.NewTimer(min(shutdownDrain, time.Until(graceEnds)))
		select {
		case <-connsDone:
		case <-drain.C: // connections without a session, or slow clients
		}
		drain.Stop()
	case <-graceTimer.C:
		s.log.Warn("sessions did not end in time; closing their connections", "grace", shutdownGrace)
		s.mu.Lock()
		for d := range s.dashboards {
			stops.Go(d.prog.Kill)
		}
		s.mu.Unlock()
	}
	_ = s.ssh.Close() // every authenticated connection
	s.mu.Lock()
	for c := range s.conns { // and any that finished authenticating meanwhile
		_ = c.Conn.Close()
	}
	s.mu.Unlock()

	allDone := make(chan struct{})
	go func() { <-connsDone; <-handlersDone; stops.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-time.After(shutdownForce):
		s.mu.Lock()
		left := len(s.dashboards)
		s.mu.Unlock()
		s.log.Error("sessions did not end at shutdown, even with their connections closed; leaving them behind",
			"dashboards_left", left)
	}
}

// trackedConn is a raw connection the server knows about: shutdown closes
// those still in the handshake, which the SSH library does not track, and
// each holds its slot in the gate until it authenticates or closes.
type trackedConn struct {
	net.Conn
	s        *Server
	source   string      // the gate's key for its remote address
	authDone atomic.Bool // authenticated
	released sync.Once
	closed   sync.Once
	channels atomic.Int64 // session channels open
	warned   atomic.Bool  // a channel refusal was logged
}

// authenticated gives back the connection's handshake slot (once).
func (c *trackedConn) authenticated() {
	c.released.Do(func() { c.s.gate.release(c.source) })
}

func (c *trackedConn) Close() error {
	c.closed.Do(func() {
		c.authenticated() // or never will: the slot is free either way
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// acceptConn admits a new connection into the handshake, or refuses it
// (closed before the server says a word) when its source is over its rate
// or the handshake slots are taken.
func (s *Server) acceptConn(ctx ssh.Context, c net.Conn) net.Conn {
	key := sourceKey(c.RemoteAddr())
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = c.Close()
		return nil // the library closes it and calls no close callback
	}
	ok, r := s.gate.admit(key, time.Now())
	if !ok {
		s.mu.Unlock()
		if r.log {
			s.log.Warn("ssh connection refused", "source", key, "remote", c.RemoteAddr().String(), "reason", r.reason,
				"refused", r.count)
		}
		_ = c.Close()
		return nil
	}
	ctx.SetValue(connStartKey{}, time.Now())
	tc := &trackedConn{Conn: c, s: s, source: key}
	ctx.SetValue(trackedConnKey{}, tc)
	s.conns[tc] = struct{}{}
	s.connWG.Add(1) // Done in ConnectionCloseCallback, which the library calls exactly once
	s.mu.Unlock()
	return tc
}

// serverConfig is each connection's SSH configuration (the library adds
// the host key and the public-key callback): a successful authentication
// gives back the connection's handshake slot at once.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
			if tc, ok := ctx.Value(trackedConnKey{}).(*trackedConn); ok && err == nil {
				tc.authDone.Store(true)
				tc.authenticated()
			}
		},
	}
}

// sessionChannel opens session channels, at most maxChannelsPerConn at
// once per connection, each with a bounded environment.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	if tc, ok := ctx.Value(trackedConnKey{}).(*trackedConn); ok {
		if tc.channels.Add(1) > maxChannelsPerConn {
			tc.channels.Add(-1)
			if !tc.warned.Swap(true) {
				s.log.Warn("ssh channel refused: too many sessions on one connection", "user", conn.User(),
					"remote", conn.RemoteAddr().String(), "max", maxChannelsPerConn)
			}
			_ = ch.Reject(gossh.ResourceShortage, fmt.Sprintf("mcpwatch: at most %d sessions per connection", maxChannelsPerConn))
			return
		}
		defer tc.channels.Add(-1)
	}
	ssh.DefaultSessionHandler(srv, conn, boundedEnv{ch}, ctx)
}

// unauthenticated is the number of connections in the handshake.
func (s *Server) unauthenticated() int { return s.gate.unauthenticated() }

// refuse ends a session with one line on its stderr and exit status 1;
// why is what the log says about its end.
func refuse(sess ssh.Session, why, line string) {
	ended(sess, why)
	_, _ = fmt.Fprintln(sess.Stderr(), line)
	_ = sess.Exit(1)
}

// fingerprint is the SHA256 fingerprint of the key the session
// authenticated with, or "none".
func fingerprint(sess ssh.Session) string {
	if k := sess.PublicKey(); k != nil {
		return gossh.FingerprintSHA256(k)
	}
	return "none"
}
