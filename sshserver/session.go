package sshserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"

	"github.com/mcpwatch/mcpwatch/tui"
)

// viewer is one session as the steps after superviseSession see it: the
// SSH session and what the server keeps about it. (A session's Context is
// its connection's, and a connection can carry several sessions, so
// per-session state cannot live there.)
type viewer struct {
	ssh.Session
	win *window // nil without a terminal

	mu  sync.Mutex
	why string // why the session ended, for the log; the first reason given wins
}

// ended records why sess ended, unless a reason was given already.
func ended(sess ssh.Session, why string) {
	v, ok := sess.(*viewer)
	if !ok {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.why == "" {
		v.why = why
	}
}

func (v *viewer) reason() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.why == "" {
		return "unknown" // every path gives a reason; this would be a bug
	}
	return v.why
}

// superviseSession is the outermost step of every session. It counts the
// session for shutdown (or refuses it once shutdown began), logs its start and its end — who (user
// name and key fingerprint), from where, how long and why it ended — and
// sends the exit status before the connection can be closed under it (exit
// 0 unless a step already exited). Nothing secret is logged.
func (s *Server) superviseSession(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		attrs := []any{"user", sess.User(), "fingerprint", fingerprint(sess), "remote", sess.RemoteAddr().String()}
		v := &viewer{Session: sess, win: s.windowOf(sess)} // followed since the pty request
		pty, _, hasPty := sess.Pty()

		s.mu.Lock()
		closing := s.closing
		if !closing {
			s.handlers.Add(1)
		}
		s.mu.Unlock()
		if !closing {
			defer s.handlers.Done() // runs after the end is logged
		}
		s.log.Info("ssh session start", append(attrs, "pty", hasPty, "term", pty.Term,
			"width", pty.Window.Width, "height", pty.Window.Height)...)
		defer func() {
			s.log.Info("ssh session end", append(attrs, "duration", time.Since(start).Round(time.Millisecond).String(),
				"why", v.reason())...)
		}()
		if closing {
			refuse(v, "refused: the server is shutting down", "mcpwatch: the server is shutting down")
			return
		}
		next(v)
		_ = sess.Exit(0) // an error here means a step already exited
	}
}

// recoverPanics ends a session whose handler panicked, and only that
// session: the panic is logged with its stack, the viewer gets one line.
// (A panic inside the dashboard's Update or View is caught by Bubble Tea
// itself and reported by runDashboard.)
func (s *Server) recoverPanics(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("ssh session panicked; session closed", "user", sess.User(), "fingerprint", fingerprint(sess),
					"remote", sess.RemoteAddr().String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				refuse(sess, "panicked", "mcpwatch: internal error; this session was closed (the server keeps running)")
			}
		}()
		next(sess)
	}
}

// requireAuthorizedKey grants nothing unless the key the connection actually
// authenticated with is in the authorized keys file now. The public-key
// callback also sees keys a client merely offered, so its answer is not the
// identity of the session; sess.PublicKey() is (the SSH library takes it
// from the permissions of the successful authentication). Checking again
// here also applies a key removed from the file since the connection
// authenticated to every session the connection opens afterwards.
func (s *Server) requireAuthorizedKey(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if !s.keys.allowed(sess.PublicKey()) {
			s.log.Warn("ssh session refused: key not authorized", "user", sess.User(), "fingerprint", fingerprint(sess),
				"remote", sess.RemoteAddr().String())
			refuse(sess, "refused: key not authorized", "mcpwatch: permission denied")
			return
		}
		next(sess)
	}
}

func (s *Server) testHook(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if s.beforeDashboard != nil {
			s.beforeDashboard(sess)
		}
		next(sess)
	}
}

// noPTYMessage is what a session without a terminal is told.
// viewerFPS is how often a viewer's renderer looks for a new frame. Bubble
// Tea's default, 60, is 600 timer wake-ups a second for ten viewers of a
// fleet whose frame changes every few seconds; at 20 a key press is drawn
// within 50 ms, below what a link to a jump host adds.
const viewerFPS = 20

const noPTYMessage = "mcpwatch: this is an interactive dashboard and needs a terminal; connect with ssh -t"

// requirePTY refuses sessions without a terminal (ssh -T, or a command
// piped through ssh): the dashboard cannot draw there.
func (s *Server) requirePTY(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if v, ok := sess.(*viewer); !ok || v.win == nil {
			refuse(sess, "refused: no terminal", noPTYMessage)
			return
		}
		next(sess)
	}
}

// limitSessions refuses a dashboard session beyond MaxSessions.
func (s *Server) limitSessions(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		if s.active >= s.opts.MaxSessions {
			s.mu.Unlock()
			s.log.Warn("ssh session refused: too many sessions", "user", sess.User(), "fingerprint", fingerprint(sess),
				"remote", sess.RemoteAddr().String(), "max_sessions", s.opts.MaxSessions)
			refuse(sess, "refused: too many sessions",
				fmt.Sprintf("mcpwatch: too many sessions (the limit is %d); try again later", s.opts.MaxSessions))
			return
		}
		s.active++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.active--
			s.mu.Unlock()
		}()
		next(sess)
	}
}

// dashboard is one running session program, so that shutdown and the
// session's maximum length can end it politely.
type dashboard struct {
	prog *tea.Program

	mu     sync.Mutex
	tell   string // what the viewer is told once the program has quit
	logWhy string // and what the log says
}

// stop quits the program (which restores the viewer's terminal); tell is
// printed to the viewer once it has, and logWhy is why the session ended
// in the log. The first stop wins.
func (d *dashboard) stop(tell, logWhy string) {
	d.mu.Lock()
	if d.tell == "" {
		d.tell, d.logWhy = tell, logWhy
	}
	d.mu.Unlock()
	d.prog.Quit()
}

func (d *dashboard) stopped() (tell, logWhy string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tell, d.logWhy
}

// runDashboard runs one viewer: a Bubble Tea program over the shared Source,
// drawing to the session with the session's own size and colour profile.
func (s *Server) runDashboard(sess ssh.Session) {
	v, ok := sess.(*viewer)
	if !ok || v.win == nil { // superviseSession and requirePTY see to it; never draw unsized
		refuse(sess, "refused: no terminal", noPTYMessage)
		return
	}
	pty, _, _ := sess.Pty()
	environ := append(sess.Environ(), "TERM="+pty.Term)
	getenv := lookupEnv(environ)
	opts := tui.Options{Color: s.opts.Color, NoColor: getenv("NO_COLOR") != "", ASCII: tui.ASCIIFromEnv(getenv), History: s.opts.History}
	// Detect from the session's terminal type and environment, never from
	// the server's own stdout.
	profile := tui.ColorProfile(opts, colorprofile.Env(environ))
	var model tea.Model = tui.New(s.opts.Source, opts)
	if s.wrapModel != nil {
		model = s.wrapModel(model)
	}
	model = tui.Latest(model) // the program keeps its first model: let it be the current one

	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	// The program reads and writes the session itself: the server emulates
	// the terminal (no pty is allocated on the server). Its size is the
	// session's clamped window, and the filter keeps every later size
	// clamped and turns tea.Suspend into a resume (window.go). No signal
	// handler: the server process's signals are not this viewer's business.
	// The input ends the program when the client closes its side.
	var hungUp atomic.Bool
	w, h := v.win.size()
	d := &dashboard{prog: tea.NewProgram(model,
		tea.WithInput(hangupReader{r: sess, hangup: func() { hungUp.Store(true); cancel() }}),
		tea.WithOutput(sess),
		tea.WithEnvironment(environ),
		tea.WithWindowSize(w, h),
		tea.WithFilter(v.win.filter()),
		tea.WithContext(ctx),
		tea.WithColorProfile(profile),
		tea.WithoutSignalHandler(),
		tea.WithFPS(viewerFPS),
	)}

	s.mu.Lock()
	s.dashboards[d] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.dashboards, d)
		s.mu.Unlock()
	}()

	var resizes sync.WaitGroup
	resizes.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-v.win.changed:
				w, h := v.win.size()
				d.prog.Send(tea.WindowSizeMsg{Width: w, Height: h})
			}
		}
	})
	defer resizes.Wait() // after cancel, which runs first
	defer cancel()

	if s.opts.MaxTimeout > 0 {
		// End the session just before the connection's hard deadline, so
		// the viewer's terminal is restored and they are told why. The
		// margin (a quarter of the length, at most 5 s) leaves a loaded
		// host time to restore the screen before the connection is cut.
		start, ok := sess.Context().Value(connStartKey{}).(time.Time)
		if !ok {
			start = time.Now()
		}
		soft := start.Add(s.opts.MaxTimeout - min(s.opts.MaxTimeout/4, 5*time.Second))
		t := time.AfterFunc(time.Until(soft), func() {
			d.stop(fmt.Sprintf("this session reached its maximum length (%s); reconnect to continue", s.opts.MaxTimeout),
				"maximum session length reached")
		})
		defer t.Stop()
	}

	_, err := d.prog.Run()
	tell, logWhy := d.stopped()
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		s.log.Error("dashboard panicked; session closed", "user", sess.User(), "fingerprint", fingerprint(sess),
			"remote", sess.RemoteAddr().String())
		refuse(sess, "dashboard panicked", "mcpwatch: internal error; this session was closed (the server keeps running)")
	case tell != "":
		refuse(sess, logWhy, "mcpwatch: "+tell)
	case sess.Context().Err() != nil:
		ended(sess, "connection closed") // idle or maximum timeout, the network, or the client went away
	case hungUp.Load():
		ended(sess, "viewer closed the session")
	case err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled):
		s.log.Warn("dashboard ended with an error", "user", sess.User(), "remote", sess.RemoteAddr().String(), "err", err.Error())
		ended(sess, "dashboard error")
		_ = sess.Exit(1)
	default:
		ended(sess, "viewer quit")
	}
}

// hangupReader is the session's input; when the client closes it, the
// program has nobody to draw for and ends.
type hangupReader struct {
	r      io.Reader
	hangup func()
}

func (h hangupReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if err != nil {
		h.hangup()
	}
	return n, err
}

func lookupEnv(environ []string) func(string) string {
	return func(name string) string {
		v := ""
		for _, kv := range environ { // the last one set wins, as in a shell
			if k, val, ok := strings.Cut(kv, "="); ok && k == name {
				v = val
			}
		}
		return v
	}
}
