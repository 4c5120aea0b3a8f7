package tui

import (
	"bytes"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestProgram runs the model in a real Bubble Tea program: keys arrive
// through it, the poll loop picks up a new snapshot on its own, and q ends it.
func TestProgram(t *testing.T) {
	src := newFake(fleet())
	m := New(src, Options{Color: "never", Now: func() time.Time { return now }})
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	wait := func(what string, cond func(out []byte) bool) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), cond, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait("first frame", func(out []byte) bool { return bytes.Contains(out, []byte("billing-api")) })

	tm.Send(press("j"))
	tm.Send(press("r"))
	wait("recheck", func([]byte) bool { got, _ := src.recorded(); return slices.Equal(got, []string{"reports"}) })

	src.set(func(s *probe.Snapshot) {
		s.Servers[7].Last.Status = probe.StatusDegraded
		s.Servers[7].Last.Started = now
		s.Servers[7].Last.Message = "recovered-by-poll"
		s.Servers[7].Last.Stage = ""
	})
	wait("polled snapshot", func(out []byte) bool { return bytes.Contains(out, []byte("recovered-by-poll")) })

	tm.Send(press("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final, ok := tm.FinalModel(t).(Model)
	if !ok {
		t.Fatalf("final model is %T", tm.FinalModel(t))
	}
	if final.selected != "reports" || final.snap.Version != 2 {
		t.Fatalf("final model on %q at snapshot %d, want reports at 2", final.selected, final.snap.Version)
	}
	if final.flash.text != "rechecked reports: degraded" {
		t.Fatalf("flash %q after the recheck's result", final.flash.text)
	}
}
