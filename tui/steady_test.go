package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestOneColumnSetPerWidth: the columns depend on the width alone — not on
// the rows' content, the filter, failing-only, the sort, the pause or the
// mode the table is seen from.
func TestOneColumnSetPerWidth(t *testing.T) {
	changed := func(s *probe.Snapshot) { // other content: no tokens, long messages, all healthy
		for i := range s.Servers {
			s.Servers[i].Token = nil
			s.Servers[i].Last.Status = probe.StatusHealthy
			s.Servers[i].Last.Message = strings.Repeat("long message ", 20)
		}
	}
	for w := 60; w <= 250; w += 10 {
		src := newFake(fleet())
		base := newModel(src, w, 40)
		want := base.columns(w)
		variants := map[string]Model{
			"failing only": keys(base, "f"),
			"filter":       keys(typed(keys(base, "/"), "fin"), "enter"),
			"typing":       typed(keys(base, "/"), "zzz"),
			"sort":         keys(base, "s", "s", "S"),
			"paused":       keys(base, "p"),
			"detail":       keys(base, "enter"),
			"events":       keys(base, "e"),
		}
		src.set(changed)
		variants["new content"] = update(base, tickMsg{model: base.id})
		for name, m := range variants {
			if got := m.columns(w); !slices.Equal(got.cols, want.cols) || got.span != want.span {
				t.Errorf("%d columns, %s: %+v, want %+v", w, name, got, want)
			}
		}
	}
}

func TestColumnsByWidth(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	ids := func(l layout) []colID {
		out := make([]colID, len(l.cols))
		for i, c := range l.cols {
			out[i] = c.id
		}
		return out
	}
	prev := 0
	for w := 20; w <= 300; w++ {
		l := m.columns(w)
		if len(l.cols) < 2 || l.cols[0].id != colStatus || l.cols[1].id != colName {
			t.Fatalf("status or name dropped at %d columns: %v", w, ids(l))
		}
		total := rowPrefix + colGap*(len(l.cols)-1)
		for _, c := range l.cols {
			total += c.w
		}
		if total > w {
			t.Fatalf("columns take %d cells of %d: %+v", total, w, l)
		}
		if len(l.cols) < prev {
			t.Fatalf("a wider terminal (%d) shows fewer columns (%d) than a narrower one (%d)", w, len(l.cols), prev)
		}
		prev = len(l.cols)
		if w >= 80 && w < 120 && l.reasonWidth(w) <= reasonNarrow {
			t.Fatalf("at %d columns a reason has %d cells, want more than %d", w, l.reasonWidth(w), reasonNarrow)
		}
		if w >= 120 && l.reasonWidth(w) <= reasonWide {
			t.Fatalf("at %d columns a reason has %d cells, want more than %d", w, l.reasonWidth(w), reasonWide)
		}
	}
	if got, want := ids(m.columns(80)), []colID{colStatus, colName, colFor, colLatency, colLast, colToken}; !slices.Equal(got, want) {
		t.Errorf("80 columns: %v, want %v", got, want)
	}
	if got, want := ids(m.columns(120)), []colID{colStatus, colName, colFor, colLatency, colHistory, colLast, colToken}; !slices.Equal(got, want) {
		t.Errorf("120 columns: %v, want %v", got, want)
	}
	wide := m.columns(200)
	if got, want := ids(wide), []colID{colStatus, colName, colFor, colLatency, colHistory, colLast, colToken, colReason}; !slices.Equal(got, want) || wide.span != -1 {
		t.Errorf("200 columns: %v span %d, want %v and a reason column", got, wide.span, want)
	}
}

// TestReasonsOnEveryRow: every row that is not healthy, and every row that
// warns, says why without a key press — at 80 columns its first 40 cells
// at least, from 120 columns whole up to 80 cells — and says it once.
func TestReasonsOnEveryRow(t *testing.T) {
	long := fleet()
	long.Servers[0].Name = "a-rather-long-server-name-of-forty-cells" // the name gives way, not the reason
	for _, snap := range []*probe.Snapshot{fleet(), long} {
		for _, sz := range []struct{ w, h int }{{80, 24}, {100, 30}, {120, 40}, {160, 48}, {220, 60}} {
			m := newModel(newFake(snap), sz.w, sz.h)
			for _, r := range m.rows {
				st := m.state(r)
				want := m.reasonText(st)
				if !hasReason(st) {
					continue
				}
				row := rowOf(t, m, fit(clean(st.Name), m.nameWidth(sz.w), "…"))
				room := 40
				if sz.w >= 120 {
					room = 80
				}
				if width(want) <= room {
					if !strings.Contains(row, want) {
						t.Errorf("%dx%d: %s row %q lacks its whole reason %q", sz.w, sz.h, st.Name, row, want)
					}
				} else if prefix := ansi.Truncate(want, room, ""); !strings.Contains(row, prefix) {
					t.Errorf("%dx%d: %s row %q lacks the first %d cells of its reason %q", sz.w, sz.h, st.Name, row, room, prefix)
				}
			}
		}
	}
	m := newModel(newFake(fleet()), 120, 40)
	if row := rowOf(t, m, "billing-api"); strings.Count(row, "token") != 1 {
		t.Errorf("billing-api says token more than once: %q", row)
	}
	if row := rowOf(t, m, "search"); !strings.Contains(row, "connection refused  ▲ flapping") {
		t.Errorf("search row %q: want its reason, then its warning", row)
	}
	if row := rowOf(t, m, "crm"); !strings.Contains(row, "▲ token refresh failing, the current token stays valid 1m more") {
		t.Errorf("crm row %q: want its warning", row)
	}
}

func TestSinceColumn(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	for name, want := range map[string]string{"billing-api": "12m", "crm": "2d", "wiki": "<1m", "new-server": "—"} {
		if f := strings.Fields(rowOf(t, m, name)); !slices.Contains(f[:5], want) {
			t.Errorf("%s row %q: want %s in FOR", name, rowOf(t, m, name), want)
		}
	}
	g := newGlyphs(false)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "<1m"}, {59 * time.Second, "<1m"}, {time.Minute, "1m"}, {119 * time.Second, "1m"}, {3 * time.Hour, "3h"}, {50 * time.Hour, "2d"}} {
		if got := sinceText(now.Add(-tc.d), now, g); got != tc.want {
			t.Errorf("sinceText(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestReverseSort(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "S")
	want := slices.Clone(severityOrder)
	slices.Reverse(want)
	if got := names(m); !slices.Equal(got, want) {
		t.Fatalf("S: %v, want %v", got, want)
	}
	if l := screen(m); !strings.Contains(l[0], "sort: severity, reversed") || !strings.Contains(l[2], "STATUS↑") {
		t.Fatalf("title %q, headings %q", l[0], l[2])
	}
	if m = keys(m, "S"); !slices.Equal(names(m), severityOrder) || !strings.Contains(screen(m)[2], "STATUS↓") {
		t.Fatalf("S twice: %v, headings %q", names(m), screen(m)[2])
	}
	m = keys(m, "S", "s") // a new sort key starts in its own direction
	if m.reverse || m.sortBy != sortName || !strings.Contains(screen(m)[2], "NAME↓") {
		t.Fatalf("s after S: reverse %v, sort %v, headings %q", m.reverse, m.sortBy, screen(m)[2])
	}
}

// TestPause: p freezes the screen — rows, order and clock — while the pool
// goes on; the header counts the results that wait, and p again shows them.
func TestPause(t *testing.T) {
	clock := now
	src := newFake(fleet())
	m := New(src, Options{Color: "never", Now: func() time.Time { return clock }})
	m = keys(update(m, tea_size(80, 24)), "p")
	frozen := screen(m)
	if !strings.Contains(frozen[0], "PAUSED") {
		t.Fatalf("title %q, want PAUSED", frozen[0])
	}
	src.set(func(s *probe.Snapshot) {
		s.Servers[0].Last.Status = probe.StatusHealthy // billing-api recovers
		s.Servers[0].Checks += 2
		s.Servers[3].Checks++
	})
	clock = now.Add(time.Hour)
	m = update(m, tickMsg{model: m.id})
	later := screen(m)
	if !strings.Contains(later[0], "PAUSED, 3 results waiting") {
		t.Fatalf("title %q, want 3 results waiting", later[0])
	}
	if !slices.Equal(frozen[1:], later[1:]) {
		t.Fatalf("the paused screen changed:\n%s\n---\n%s", strings.Join(frozen, "\n"), strings.Join(later, "\n"))
	}
	m = keys(m, "p")
	if got := screen(m); strings.Contains(got[0], "PAUSED") || names(m)[0] != "reports" || strings.Contains(got[3], "12m") {
		t.Fatalf("after p again:\n%s", strings.Join(got, "\n"))
	}
}

func TestNewResults(t *testing.T) {
	a := &probe.Snapshot{Servers: []*probe.ServerState{{Name: "a", Checks: 3}, {Name: "b", Checks: 1}}}
	b := &probe.Snapshot{Servers: []*probe.ServerState{{Name: "b", Checks: 4}, {Name: "a", Checks: 3}, {Name: "c", Checks: 2}}}
	if got := newResults(a, b); got != 5 {
		t.Fatalf("newResults = %d, want 5 (3 of b, 2 of the new c)", got)
	}
}

// TestCountsFollowFilter: the header counts the servers shown, of how many.
func TestCountsFollowFilter(t *testing.T) {
	m := keys(typed(keys(newModel(newFake(fleet()), 120, 40), "/"), "fin"), "enter")
	if got := screen(m)[1]; !strings.HasPrefix(got, "2 of 11:") || !strings.Contains(got, "⊗ 1 auth_error") ||
		!strings.Contains(got, "⊘ 1 skipped") || !strings.Contains(got, "✓ 0") || !strings.Contains(got, "▲ 0") {
		t.Fatalf("counts with filter fin: %q", got)
	}
	m = keys(newModel(newFake(fleet()), 120, 40), "f")
	if got := screen(m)[1]; !strings.HasPrefix(got, "5 of 11:") || !strings.Contains(got, "✓ 1 healthy") || !strings.Contains(got, "▲ 2 warnings") {
		t.Fatalf("counts failing only: %q", got)
	}
	m = newModel(newFake(fleet()), 120, 40)
	if got := screen(m)[1]; strings.Contains(got, " of ") || !strings.Contains(got, "✓ 4 healthy") || !strings.Contains(got, "▲ 2 warnings") {
		t.Fatalf("counts of the whole fleet: %q", got)
	}
}

// TestCursorStaysAcrossResort: the cursor stays on the server it is on
// when its status moves it, from the first key press on.
func TestCursorStaysAcrossResort(t *testing.T) {
	for _, start := range [][]string{{"k"}, {"j", "j"}, {"G"}} {
		t.Run(strings.Join(start, ","), func(t *testing.T) {
			src := newFake(fleet())
			m := keys(newModel(src, 80, 24), start...)
			on := m.selected
			src.set(func(s *probe.Snapshot) {
				for i := range s.Servers {
					if s.Servers[i].Name == on {
						s.Servers[i].Last.Status = probe.StatusHealthy
						s.Servers[i].Warnings = nil
						if on == "new-server" {
							s.Servers[i].Last.Status = probe.StatusAuthError
						}
					}
				}
			})
			m = update(m, tickMsg{model: m.id})
			if m.selected != on || names(m)[m.cursor] != on || !strings.HasPrefix(rowOf(t, m, on), "› ") {
				t.Fatalf("cursor on %q (row %d), want it on %s", m.selected, m.cursor, on)
			}
			m = keys(m, "r")
			if got, _ := src.recorded(); !slices.Equal(got, []string{on}) {
				t.Fatalf("r rechecked %v, want %s", got, on)
			}
		})
	}
}

func TestCopyReason(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want string
	}{
		{nil, "billing-api auth_error: token endpoint refused the client: invalid_client (HTTP 401)\nhttps://billing.example.com/mcp\n"},
		{[]string{"j", "j", "j", "j"}, "crm healthy: ▲ token refresh failing, the current token stays valid 1m more: token endpoint unreachable: dial tcp: i/o timeout\nhttps://crm.example.com/mcp\n"},
		{[]string{"G", "k", "k", "k", "k", "enter"}, "github-tools healthy\nhttps://mcp.github.example/mcp\n"},
	} {
		m := keys(newModel(newFake(fleet()), 80, 24), tc.keys...)
		next, cmd := m.Update(press("y"))
		if cmd == nil {
			t.Fatalf("%v y: no command", tc.keys)
		}
		if got, want := cmd(), tea_setClipboard(tc.want); got != want {
			t.Errorf("%v y: %#v, want the clipboard set to %q", tc.keys, got, tc.want)
		}
		if f := next.(Model).flash.text; !strings.HasPrefix(f, "copied the reason and URL of ") {
			t.Errorf("flash %q", f)
		}
	}
	// Text from the server reaches the clipboard cleaned.
	m := newModel(newFake(hostile()), 80, 24)
	m.moveTo(slices.Index(names(m), "名前がとても長いサーバー名前がとても長いサーバー"))
	_, cmd := m.Update(press("y"))
	if s := fmt.Sprint(cmd()); strings.ContainsAny(s, "\x1b\u009b\u202e") || strings.Contains(s, "pwned") {
		t.Errorf("the clipboard gets %q", s)
	}
}

// TestIdleTableStill: with nothing checked and no age crossing a step, the
// table's frame stays the same from one second to the next, so an SSH viewer
// has nothing to redraw; a token an hour long no longer ticks on every row.
func TestIdleTableStill(t *testing.T) {
	clock := now
	src := newFake(bigFleet(200))
	src.set(func(s *probe.Snapshot) {
		for _, st := range s.Servers {
			st.Last = &probe.Result{Server: st.Name, Status: probe.StatusHealthy, Started: clock.Add(-11 * time.Second), Latency: time.Millisecond}
			st.Warnings = nil
			if st.Token != nil {
				st.Token = &probe.TokenInfo{Obtained: clock.Add(-20 * time.Minute), Expiry: clock.Add(40*time.Minute + 30*time.Second)}
			}
		}
	})
	m := New(src, Options{Color: "always", Now: func() time.Time { return clock }})
	m = update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	first := m.View().Content
	if !strings.Contains(first, "expires in 40m") || !strings.Contains(first, "10s ago") {
		t.Fatalf("the fixture does not show a countdown and an age:\n%s", first)
	}
	for range 3 {
		clock = clock.Add(time.Second)
		if got := m.View().Content; got != first {
			t.Fatalf("the frame changed at %v:\n%s", clock.Sub(now), got)
		}
	}
}

// TestIdleAgesStepTogether: rows checked at different moments of a sweep
// must not each move their age at its own second — with forty rows on
// screen that was a changed frame, and a redraw for every SSH viewer, every
// second. Ages and FOR move on a shared 5-second grid: an idle table
// changes at most once every 5 seconds.
func TestIdleAgesStepTogether(t *testing.T) {
	clock := now // a multiple of 5 s
	src := newFake(bigFleet(200))
	src.set(func(s *probe.Snapshot) {
		for i, st := range s.Servers {
			at := clock.Add(-time.Duration(i*137%5000) * time.Millisecond) // spread over 5 s, as a sweep leaves them
			st.Last = &probe.Result{Server: st.Name, Status: probe.StatusHealthy, Started: at, Latency: time.Millisecond}
			st.Since, st.Warnings, st.Token = at.Add(-50*time.Second), nil, nil
		}
	})
	m := New(src, Options{Color: "always", Now: func() time.Time { return clock }})
	m = update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	last, changes := m.View().Content, 0
	for range 130 {
		clock = clock.Add(time.Second)
		m = update(m, tickMsg{model: m.id})
		if got := m.View().Content; got != last {
			changes++
			if !clock.Truncate(5 * time.Second).Equal(clock) {
				t.Fatalf("the table changed at +%v, off the 5-second grid", clock.Sub(now))
			}
			last = got
		}
	}
	if changes == 0 {
		t.Fatal("fixture: no age moved in 130 s")
	}
}
