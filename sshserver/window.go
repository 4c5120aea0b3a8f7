package sshserver

import (
	"fmt"
	"sync"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
)

// The largest terminal a session is drawn for. A session's screen costs
// the server memory per cell (Bubble Tea keeps about 220 bytes per cell in
// its buffers), and the size is whatever the client says: a viewer claiming
// 10000x10000 took gigabytes. Larger windows are drawn at the clamped size
// in their top-left corner. The cell budget caps the product: a window
// 1000 columns wide gets 150 rows, about 33 MB of screen.
const (
	MaxWindowWidth  = 1000
	MaxWindowHeight = 500
	MaxWindowCells  = 150_000
)

// clampWindow is the size a session is drawn at for a window the client
// reports as w x h. Clients without a terminal of their own (ssh -tt from a
// script) report 0x0, on which nothing can be drawn; 80x24 is what such a
// client would get from a terminal.
func clampWindow(w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return 80, 24
	}
	w = min(w, MaxWindowWidth)
	return w, min(h, MaxWindowHeight, MaxWindowCells/w)
}

// window is a session's terminal size, clamped, as the SSH channel reports
// it: from the pty request, then every window change. It is the only
// source of the size the dashboard is drawn at.
type window struct {
	mu      sync.Mutex
	w, h    int
	changed chan struct{} // a size was set since the dashboard last looked
}

// followWindow wraps the library's pty handler: from a session's pty
// request on, its window is followed (see watchWindow) and kept for the
// session's handler, whether or not the session ever asks for a shell.
func (s *Server) followWindow(emulate ssh.PtyHandler) ssh.PtyHandler {
	return func(ctx ssh.Context, sess ssh.Session, pty ssh.Pty) (func() error, error) {
		closer, err := emulate(ctx, sess, pty)
		if err != nil {
			return closer, err
		}
		_, winch, ok := sess.Pty()
		if !ok {
			return closer, nil
		}
		attrs := []any{"user", sess.User(), "fingerprint", fingerprint(sess), "remote", sess.RemoteAddr().String()}
		win := watchWindow(pty.Window, winch, func(requested, drawn string) {
			s.log.Warn("ssh window clamped", append(attrs, "requested", requested, "drawn", drawn)...)
		}, func() {
			s.mu.Lock()
			delete(s.windows, sess)
			s.mu.Unlock()
		})
		s.mu.Lock()
		s.windows[sess] = win
		s.mu.Unlock()
		return closer, nil
	}
}

// windowOf is the window of sess, nil if it has no terminal.
func (s *Server) windowOf(sess ssh.Session) *window {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.windows[sess]
}

// watchWindow follows a session's window changes until the session's
// requests end (when winch is closed), then calls done. It reads every
// change as it comes, whether or not a dashboard runs yet: the SSH library
// hands them over on a channel with room for one, and a change nobody reads
// stalls every later request of the session, for good. clamped is called
// once, for the first size that had to be clamped.
func watchWindow(initial ssh.Window, winch <-chan ssh.Window, clamped func(requested, drawn string), done func()) *window {
	win := &window{changed: make(chan struct{}, 1)}
	logged := false
	set := func(req ssh.Window) {
		w, h := clampWindow(req.Width, req.Height)
		win.mu.Lock()
		win.w, win.h = w, h
		win.mu.Unlock()
		select {
		case win.changed <- struct{}{}:
		default:
		}
		if !logged && req.Width > 0 && req.Height > 0 && (w != req.Width || h != req.Height) {
			logged = true
			clamped(fmt.Sprintf("%dx%d", req.Width, req.Height), fmt.Sprintf("%dx%d", w, h))
		}
	}
	set(initial)
	go func() {
		defer done()
		for req := range winch {
			set(req)
		}
	}()
	return win
}

func (win *window) size() (int, int) {
	win.mu.Lock()
	defer win.mu.Unlock()
	return win.w, win.h
}

// filter is the session program's message filter. Every window size the
// program sees, whatever its origin, becomes the session's clamped size:
// Bubble Tea also takes a size report typed on the input (xterm's
// CSI 8;rows;cols t) for a WindowSizeMsg and resizes its screen to it,
// and a viewer can type anything. Sizes the program already has are
// dropped (each resize redraws the whole screen). tea.Suspend becomes a
// resume: suspending would send SIGTSTP to the server's process group and
// stop every session.
func (win *window) filter() func(tea.Model, tea.Msg) tea.Msg {
	var delivered tea.WindowSizeMsg // the filter runs on the program's event loop only
	return func(_ tea.Model, msg tea.Msg) tea.Msg {
		switch msg.(type) {
		case tea.SuspendMsg:
			return tea.ResumeMsg{}
		case tea.WindowSizeMsg:
			w, h := win.size()
			size := tea.WindowSizeMsg{Width: w, Height: h}
			if size == delivered {
				return nil
			}
			delivered = size
			return size
		}
		return msg
	}
}
