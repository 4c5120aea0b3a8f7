package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// roSource is a fake that cannot recheck, like the Prometheus view.
type roSource struct{ *fakeSource }

func (roSource) ReadOnly() string {
	return "read-only: reading Prometheus, rechecks happen on the instances"
}

// TestReadOnlySaysWhy: r and R on a read-only source flash why they do
// nothing, and never call the source.
func TestReadOnlySaysWhy(t *testing.T) {
	src := roSource{newFake(fleet())}
	for _, k := range []string{"r", "R"} {
		m := keys(newModel(src, 100, 24), k)
		if got := strings.Join(screen(m), "\n"); !strings.Contains(got, "read-only: reading Prometheus") {
			t.Errorf("%s: the reason is not shown:\n%s", k, got)
		}
	}
	if rechecks, all := src.recorded(); len(rechecks) != 0 || all != 0 {
		t.Errorf("a read-only source was asked to recheck: %v, %d", rechecks, all)
	}
}

// TestSourceNoticeWithAge: a snapshot's notice is a line on screen with the
// age of the data kept; it goes once the source is well.
func TestSourceNoticeWithAge(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 100, 24) // its clock is the fixture's now
	src.set(func(s *probe.Snapshot) {
		s.Notice = "Prometheus http://127.0.0.1:9090 is unreachable (connection refused)"
		s.Taken = now.Add(-2 * time.Minute)
	})
	m = update(m, tickMsg{model: m.id})
	got := strings.Join(screen(m), "\n")
	if !strings.Contains(got, "data from 2m ago: Prometheus http://127.0.0.1:9090 is unreachable (connection refused)") {
		t.Fatalf("notice not shown with its age:\n%s", got)
	}
	checkFrame(t, m)
	src.set(func(s *probe.Snapshot) { s.Notice = "" })
	if got := strings.Join(screen(update(m, tickMsg{model: m.id})), "\n"); strings.Contains(got, "unreachable") {
		t.Fatal("the notice stays after the source recovered")
	}
}

// TestHelpListsOnlyWhatWorks: a read-only source's help does not offer r
// and R, and a view that cannot pin (an SSH viewer) does not offer a; the
// keys still say why when pressed (TestReadOnlySaysWhy).
func TestHelpListsOnlyWhatWorks(t *testing.T) {
	help := func(m Model) string { return strings.Join(screen(keys(m, "?")), "\n") }
	if got := help(newModel(roSource{newFake(fleet())}, 160, 40)); strings.Contains(got, "recheck") {
		t.Errorf("a read-only view offers rechecks:\n%s", got)
	}
	if got := help(keys(newModel(newFake(fleet()), 160, 40), "enter")); strings.Contains(got, "accept inventory") {
		t.Errorf("a view that cannot pin offers a:\n%s", got)
	}
	got := help(keys(newModelWith(acceptingSource{newFake(fleet())}, 160, 40, Options{AcceptPins: true}), "enter"))
	if !strings.Contains(got, "accept inventory") || !strings.Contains(got, "recheck") {
		t.Errorf("the local dashboard's detail help lost a or r:\n%s", got)
	}
}

type acceptingSource struct{ *fakeSource }

func (acceptingSource) AcceptInventory(...string) []string { return nil }
