package sshserver

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// heapBound is how much the server's heap may grow for one viewer whatever
// window it reports: generous next to what a clamped session costs, far
// below what an unclamped 10000x10000 one does (gigabytes).
const heapBound = 64 << 20

// heapInuse is the live heap after two collections, so that garbage from
// before does not count.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func checkHeap(t *testing.T, what string, before uint64) {
	t.Helper()
	now := heapInuse()
	grew := int64(now) - int64(before)
	t.Logf("%s: heap in use %d MB, %+d MB from %d MB", what, now>>20, grew>>20, before>>20)
	if grew > heapBound {
		t.Errorf("%s: the heap grew by %d MB; the bound is %d MB", what, grew>>20, heapBound>>20)
	}
}

// sizeRecorder wraps a session's model and records every window size and
// key the model is given, so a test sees what the dashboard was sized from.
type sizeRecorder struct {
	mu    sync.Mutex
	sizes []tea.WindowSizeMsg
	keys  []string
}

func (r *sizeRecorder) wrap(m tea.Model) tea.Model { return recordingModel{m, r} }

func (r *sizeRecorder) last() tea.WindowSizeMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sizes) == 0 {
		return tea.WindowSizeMsg{}
	}
	return r.sizes[len(r.sizes)-1]
}

func (r *sizeRecorder) sawKey(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, got := range r.keys {
		if got == k {
			return true
		}
	}
	return false
}

// outOfBounds lists every size the model was given beyond the clamp.
func (r *sizeRecorder) outOfBounds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var bad []string
	for _, s := range r.sizes {
		if s.Width > MaxWindowWidth || s.Height > MaxWindowHeight || s.Width*s.Height > MaxWindowCells || s.Width < 1 || s.Height < 1 {
			bad = append(bad, fmt.Sprintf("%dx%d", s.Width, s.Height))
		}
	}
	return bad
}

type recordingModel struct {
	tea.Model
	r *sizeRecorder
}

func (m recordingModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.r.mu.Lock()
		m.r.sizes = append(m.r.sizes, msg)
		m.r.mu.Unlock()
	case tea.KeyPressMsg:
		m.r.mu.Lock()
		m.r.keys = append(m.r.keys, msg.String())
		m.r.mu.Unlock()
	}
	inner, cmd := m.Model.Update(msg)
	return recordingModel{inner, m.r}, cmd
}

// clamped is the size a huge window is drawn at: as wide as allowed, and as
// many rows as the cell budget leaves.
var clamped = tea.WindowSizeMsg{Width: MaxWindowWidth, Height: min(MaxWindowHeight, MaxWindowCells/MaxWindowWidth)}

// TestHugeWindowIsClamped: a viewer reporting a huge terminal (in its pty
// request, in a window change, or typed on its input as a terminal's size
// report) gets a dashboard sized within the clamp, and the server's heap
// stays bounded while it watches and after it leaves.
func TestHugeWindowIsClamped(t *testing.T) {
	rec := &sizeRecorder{}
	f := startFixture(t, fixtureOptions{wrapModel: rec.wrap})
	base := heapInuse()

	s := openSized(t, f.mustDial("viewer", f.user), true, 10000, 10000)
	waitWithin(t, slowDeadline, "the dashboard", func() bool { return s.stdout.contains(serverName) })
	waitWithin(t, slowDeadline, "the first window size", func() bool { return rec.last() != tea.WindowSizeMsg{} })
	if got := rec.last(); got != clamped {
		t.Errorf("a 10000x10000 terminal is drawn at %dx%d, want %dx%d", got.Width, got.Height, clamped.Width, clamped.Height)
	}
	checkHeap(t, "10000x10000 pty request", base)

	// Window changes: an ordinary one is followed, a huge one clamped.
	if err := s.sess.WindowChange(50, 200); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, slowDeadline, "the 200x50 window", func() bool { return rec.last() == tea.WindowSizeMsg{Width: 200, Height: 50} })
	if err := s.sess.WindowChange(65535, 65535); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, slowDeadline, "the clamped 65535x65535 window", func() bool { return rec.last() == clamped })
	checkHeap(t, "65535x65535 window change", base)

	// A size report typed on the input (xterm's CSI 8;rows;cols t, which
	// Bubble Tea reads as a window size) is not the terminal's size: the
	// size comes from the SSH channel alone.
	s.press("\x1b[8;256;4096t")
	s.press("z")
	waitWithin(t, slowDeadline, "the key after the forged report", func() bool { return rec.sawKey("z") })
	if got := rec.last(); got != clamped {
		t.Errorf("after a forged size report the dashboard is %dx%d, want %dx%d", got.Width, got.Height, clamped.Width, clamped.Height)
	}
	if bad := rec.outOfBounds(); len(bad) > 0 {
		t.Errorf("the dashboard was sized beyond the clamp: %v", bad)
	}
	if !f.logs.contains("ssh window clamped") {
		t.Errorf("the clamp is not logged:\n%s", f.logs)
	}

	s.press("q")
	waitWithin(t, slowDeadline, "the session to end", func() bool { return !s.running() })
	if code := s.exit(); code != 0 {
		t.Errorf("quit exited %d", code)
	}
	waitWithin(t, slowDeadline, "the session end to be logged", func() bool { return f.logs.contains("ssh session end") })
	checkHeap(t, "after the viewer left", base)
}

// TestZeroWindowIsDrawnAt80x24: ssh -tt from a script reports 0x0; a
// window change to 0x0 later must not size anything at zero either.
func TestZeroWindowIsDrawnAt80x24(t *testing.T) {
	rec := &sizeRecorder{}
	f := startFixture(t, fixtureOptions{wrapModel: rec.wrap})
	s := openSized(t, f.mustDial("viewer", f.user), true, 120, 40)
	s.waitOutput(serverName)
	waitUntil(t, "120x40", func() bool { return rec.last() == tea.WindowSizeMsg{Width: 120, Height: 40} })
	if err := s.sess.WindowChange(0, 0); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "80x24", func() bool { return rec.last() == tea.WindowSizeMsg{Width: 80, Height: 24} })
}

func TestClampWindow(t *testing.T) {
	for _, tc := range []struct{ w, h, wantW, wantH int }{
		{80, 24, 80, 24},
		{0, 0, 80, 24},
		{0, 50, 80, 24},
		{-5, 30, 80, 24},
		{MaxWindowWidth, MaxWindowCells / MaxWindowWidth, MaxWindowWidth, MaxWindowCells / MaxWindowWidth},
		{10000, 10000, clamped.Width, clamped.Height},
		{65535, 65535, clamped.Width, clamped.Height},
		{1 << 40, 1 << 40, clamped.Width, clamped.Height},
		{1, 100000, 1, MaxWindowHeight},
		{300, 100000, 300, MaxWindowHeight},
		{400, 400, 400, MaxWindowCells / 400},
	} {
		w, h := clampWindow(tc.w, tc.h)
		if w != tc.wantW || h != tc.wantH {
			t.Errorf("clampWindow(%d, %d) = %dx%d, want %dx%d", tc.w, tc.h, w, h, tc.wantW, tc.wantH)
		}
		if w*h > MaxWindowCells {
			t.Errorf("clampWindow(%d, %d) = %dx%d: over the cell budget", tc.w, tc.h, w, h)
		}
	}
}

// TestWindowChangesBeforeAShellDoNotStall: the SSH library hands window
// changes over on a channel with room for one (taken by the pty request's
// own size); a session that sends window changes and never asks for a
// shell must not stall its requests, nor leave a goroutine behind once the
// client is gone (goleak in TestMain).
func TestWindowChangesBeforeAShellDoNotStall(t *testing.T) {
	f := startFixture(t, fixtureOptions{})
	c := f.mustDial("viewer", f.user)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := sess.WindowChange(30+i, 100); err != nil { // no reply is asked for
			t.Fatal(err)
		}
	}
	replied := make(chan error, 1)
	go func() { replied <- sess.Setenv("LANG", "C.UTF-8") }() // asks for a reply
	select {
	case err := <-replied:
		if err != nil {
			t.Errorf("setenv after window changes: %v", err)
		}
	case <-time.After(deadline):
		t.Error("the session's requests stalled after window changes sent before a shell")
	}
	c.Close()
}
