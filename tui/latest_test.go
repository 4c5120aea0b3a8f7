package tui

import (
	"runtime"
	"testing"
	"weak"

	tea "charm.land/bubbletea/v2"
)

// TestLatestLetsTheFirstSnapshotGo: a program keeps the model it started
// with; through Latest, the snapshot that model opened on is collected once
// an update has moved on to a newer one, and the first model shows the
// current one.
func TestLatestLetsTheFirstSnapshotGo(t *testing.T) {
	first := bigFleet(100)
	gone := weak.Make(first)
	src := newFake(first)
	dash := New(src, Options{})
	id := dash.id
	start := Latest(dash) // what tea.NewProgram keeps
	first, dash = nil, Model{}

	next := bigFleet(100)
	next.Version = 2
	src.snap = next
	cur := start
	cur, _ = cur.Update(tickMsg{model: id})
	cur, _ = cur.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	_ = cur.View()
	runtime.GC()
	runtime.GC()
	if gone.Value() != nil {
		t.Fatal("the first snapshot is still reachable from the program's first model")
	}
	if got := (*start.(latest).cur).(Model).snap; got != next {
		t.Fatal("the first model does not show the current snapshot")
	}
	runtime.KeepAlive(start)
}
