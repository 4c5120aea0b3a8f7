package sshserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	bm "charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"

	"github.com/mcpwatch/mcpwatch/tui"
)

// trackSession counts the session for shutdown, refuses new ones once
// shutdown began, and sends the exit status before the connection can be
// closed under it (exit 0 unless a step already exited).
func (s *Server) trackSession(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			refuse(sess, "mcpwatch: the server is shutting down")
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		defer s.handlers.Done()
		next(sess)
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
				refuse(sess, "mcpwatch: internal error; this session was closed (the server keeps running)")
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
			refuse(sess, "mcpwatch: permission denied")
			return
		}
		next(sess)
	}
}

// logSession logs every session's start and end: who (user name and key
// fingerprint), from where, and for how long. Nothing secret is logged.
func (s *Server) logSession(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		pty, _, hasPty := sess.Pty()
		attrs := []any{"user", sess.User(), "fingerprint", fingerprint(sess), "remote", sess.RemoteAddr().String()}
		s.log.Info("ssh session start", append(attrs, "pty", hasPty, "term", pty.Term,
			"width", pty.Window.Width, "height", pty.Window.Height)...)
		defer func() {
			s.log.Info("ssh session end", append(attrs, "duration", time.Since(start).Round(time.Millisecond).String())...)
		}()
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
const noPTYMessage = "mcpwatch: this is an interactive dashboard and needs a terminal; connect with ssh -t"

// requirePTY refuses sessions without a terminal (ssh -T, or a command
// piped through ssh): the dashboard cannot draw there.
func (s *Server) requirePTY(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			refuse(sess, noPTYMessage)
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
			refuse(sess, fmt.Sprintf("mcpwatch: too many sessions (the limit is %d); try again later", s.opts.MaxSessions))
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
	mu   sync.Mutex
	why  string
}

// stop quits the program (which restores the viewer's terminal); why is
// printed once it has.
func (d *dashboard) stop(why string) {
	d.mu.Lock()
	if d.why == "" {
		d.why = why
	}
	d.mu.Unlock()
	d.prog.Quit()
}

func (d *dashboard) reason() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.why
}

// runDashboard runs one viewer: a Bubble Tea program over the shared Source,
// drawing to the session with the session's own size and colour profile.
func (s *Server) runDashboard(sess ssh.Session) {
	pty, windows, _ := sess.Pty()
	environ := append(sess.Environ(), "TERM="+pty.Term)
	getenv := lookupEnv(environ)
	opts := tui.Options{Color: s.opts.Color, NoColor: getenv("NO_COLOR") != "", ASCII: tui.ASCIIFromEnv(getenv)}
	// Detect from the session's terminal type and environment, never from
	// the server's own stdout.
	profile := tui.ColorProfile(opts, colorprofile.Env(environ))
	var model tea.Model = tui.New(s.opts.Source, opts)
	if s.wrapModel != nil {
		model = s.wrapModel(model)
	}

	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	// MakeOptions wires the session's input, output, environment and window
	// size, and turns tea.Suspend into a resume: suspending would send
	// SIGTSTP to the server's process group and stop every session. Ours
	// come after it and win: a usable window size; the profile decided
	// above; no signal handler, since the server process's signals are not
	// this viewer's business; and input that ends the program when the
	// client closes its side.
	w, h := windowSize(pty.Window)
	popts := append(bm.MakeOptions(sess),
		tea.WithWindowSize(w, h),
		tea.WithContext(ctx),
		tea.WithColorProfile(profile),
		tea.WithoutSignalHandler(),
		tea.WithInput(hangupReader{r: sess, hangup: cancel}),
	)
	d := &dashboard{prog: tea.NewProgram(model, popts...)}

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
			case w, ok := <-windows:
				if !ok {
					return
				}
				width, height := windowSize(w)
				d.prog.Send(tea.WindowSizeMsg{Width: width, Height: height})
			}
		}
	})
	defer resizes.Wait() // after cancel, which runs first
	defer cancel()

	if s.opts.MaxTimeout > 0 {
		// End the session just before the connection's hard deadline, so
		// the viewer's terminal is restored and they are told why.
		start, ok := sess.Context().Value(connStartKey{}).(time.Time)
		if !ok {
			start = time.Now()
		}
		soft := start.Add(s.opts.MaxTimeout - min(s.opts.MaxTimeout/10, 5*time.Second))
		t := time.AfterFunc(time.Until(soft), func() {
			d.stop(fmt.Sprintf("this session reached its maximum length (%s); reconnect to continue", s.opts.MaxTimeout))
		})
		defer t.Stop()
	}

	_, err := d.prog.Run()
	switch why := d.reason(); {
	case errors.Is(err, tea.ErrProgramPanic):
		s.log.Error("dashboard panicked; session closed", "user", sess.User(), "fingerprint", fingerprint(sess),
			"remote", sess.RemoteAddr().String())
		refuse(sess, "mcpwatch: internal error; this session was closed (the server keeps running)")
	case why != "":
		refuse(sess, "mcpwatch: "+why)
	case err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled):
		s.log.Warn("dashboard ended with an error", "user", sess.User(), "remote", sess.RemoteAddr().String(), "err", err.Error())
		_ = sess.Exit(1)
	}
}

// windowSize is the size of a session's terminal. A client without a
// terminal of its own (ssh -tt from a script) reports 0x0, on which nothing
// can be drawn; 80x24 is what such a client would get from a terminal.
func windowSize(w ssh.Window) (width, height int) {
	if w.Width <= 0 || w.Height <= 0 {
		return 80, 24
	}
	return w.Width, w.Height
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
