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

// severityOrder: failing, degraded, then crm (healthy, but its token refresh
// fails), healthy, skipped, unknown.
var severityOrder = []string{"billing-api", "reports", "search", "slow-docs", "crm", "calendar", "github-tools", "wiki", "payroll", "user-notes", "new-server"}

func TestRowsStartInSeverityOrder(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	if got := names(m); !slices.Equal(got, severityOrder) {
		t.Fatalf("rows = %v, want %v", got, severityOrder)
	}
	if m.selected != "billing-api" || m.cursor != 0 {
		t.Fatalf("cursor on %q (%d), want billing-api (0)", m.selected, m.cursor)
	}
}

func TestMoveKeys(t *testing.T) {
	last := len(severityOrder) - 1
	for _, tc := range []struct {
		keys []string
		want int
	}{
		{[]string{"down"}, 1},
		{[]string{"j", "j"}, 2},
		{[]string{"j", "j", "up"}, 1},
		{[]string{"j", "k"}, 0},
		{[]string{"k"}, 0}, // stays on the first row
		{[]string{"G"}, last},
		{[]string{"end"}, last},
		{[]string{"G", "j"}, last}, // stays on the last row
		{[]string{"G", "g"}, 0},
		{[]string{"G", "home"}, 0},
		{[]string{"pgdown"}, 0 + 10},    // 24 rows less 3 heading, 1 info and 1 help lines: 19 a page, clamped to 10
		{[]string{"pgdown", "pgup"}, 0}, //
	} {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			m := keys(newModel(newFake(fleet()), 80, 24), tc.keys...)
			if m.cursor != tc.want || m.selected != severityOrder[tc.want] {
				t.Fatalf("cursor %d on %q, want %d on %q", m.cursor, m.selected, tc.want, severityOrder[tc.want])
			}
			if !strings.HasPrefix(rowOf(t, m, m.selected), "› ") {
				t.Fatalf("the row of %s is not marked selected: %q", m.selected, rowOf(t, m, m.selected))
			}
		})
	}
}

// TestPagingScrolls checks the row window on a fleet taller than the screen.
func TestPagingScrolls(t *testing.T) {
	m := newModel(newFake(bigFleet(100)), 80, 24)
	page := m.tableHeight()
	if page != 24-tableHeader-2 {
		t.Fatalf("table height %d at 80x24, want %d", page, 24-tableHeader-2)
	}
	m = keys(m, "pgdown")
	if m.cursor != page || m.offset != 1 {
		t.Fatalf("after pgdown: cursor %d offset %d, want %d and 1", m.cursor, m.offset, page)
	}
	if got := screen(m)[tableHeader]; !strings.Contains(got, fit(m.rows[1].name, nameFloor, "…")) {
		t.Fatalf("first row on screen %q, want %s", got, m.rows[1].name)
	}
	m = keys(m, "G")
	if m.cursor != 99 || m.offset != 100-page {
		t.Fatalf("after G: cursor %d offset %d, want 99 and %d", m.cursor, m.offset, 100-page)
	}
	m = keys(m, "pgup", "pgup", "pgup", "pgup", "pgup", "pgup")
	if m.cursor != 0 || m.offset != 0 {
		t.Fatalf("after pgups: cursor %d offset %d, want 0 and 0", m.cursor, m.offset)
	}
}

func TestEnterOpensDetailAndEscGoesBack(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "j", "j", "enter")
	if m.mode != modeDetail {
		t.Fatalf("mode %v after enter, want detail", m.mode)
	}
	text := strings.Join(screen(m), "\n")
	for _, want := range []string{"mcpwatch › search", "connection refused", "dial tcp 10.0.4.12:8443: connect: connection refused", "at the connect stage (connect.refused)"} {
		if !strings.Contains(text, want) {
			t.Errorf("detail view lacks %q:\n%s", want, text)
		}
	}
	m = keys(m, "esc")
	if m.mode != modeTable || m.selected != "search" {
		t.Fatalf("after esc: mode %v on %q, want the table on search", m.mode, m.selected)
	}
}

func TestDetailScrolls(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "enter") // billing-api: longer than a page at 80x24
	body := len(m.detailLines())
	h := m.pageHeight()
	if body <= h {
		t.Fatalf("fixture too short to scroll: %d lines, %d on screen", body, h)
	}
	first := screen(m)[detailHeader]
	m = keys(m, "j")
	if m.scroll != 1 || screen(m)[detailHeader] == first {
		t.Fatalf("down did not scroll: offset %d", m.scroll)
	}
	m = keys(m, "G")
	if m.scroll != body-h {
		t.Fatalf("G: offset %d, want %d", m.scroll, body-h)
	}
	m = keys(m, "pgdown", "down")
	if m.scroll != body-h {
		t.Fatalf("scrolled past the end: offset %d, want %d", m.scroll, body-h)
	}
	m = keys(m, "pgup", "g", "k")
	if m.scroll != 0 {
		t.Fatalf("g: offset %d, want 0", m.scroll)
	}
	if m.cursor != 0 || m.selected != "billing-api" {
		t.Fatal("scrolling the detail view moved the table cursor")
	}
}

func TestRecheckSelected(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "j", "j") // search
	if strings.Contains(rowOf(t, m, "search"), "checking") {
		t.Fatal("search shows checking before any recheck")
	}
	m = keys(m, "r")
	if got, _ := src.recorded(); !slices.Equal(got, []string{"search"}) {
		t.Fatalf("Recheck calls %v, want [search]", got)
	}
	// search fails: its row says why, and the flash line says it is being
	// checked, until a snapshot shows the new result.
	if got := statusOf(m); got != "rechecking search…" {
		t.Fatalf("flash line %q, want rechecking search…", got)
	}

	// A tick with the same snapshot keeps it; one that shows the server
	// checking hands over to the snapshot; a newer result ends it.
	m = update(m, tickMsg{model: m.id})
	if _, ok := m.pending["search"]; !ok || statusOf(m) != "rechecking search…" {
		t.Fatal("pending or the flash gone before any snapshot said so")
	}
	src.set(func(s *probe.Snapshot) { s.Servers[1].Checking = true })
	m = update(m, tickMsg{model: m.id})
	if _, ok := m.pending["search"]; ok {
		t.Fatal("still pending once the snapshot shows the check")
	}
	if !m.checking(m.selectedState()) || statusOf(m) != "rechecking search…" {
		t.Fatal("a checking server is not checking, or the flash left before the result")
	}
	src.set(func(s *probe.Snapshot) {
		s.Servers[1].Checking = false
		s.Servers[1].Last.Started = now
		s.Servers[1].Last.Status = probe.StatusHealthy
		s.Servers[1].Last.Latency = 12 * time.Millisecond
		s.Servers[1].Last.Total = 12 * time.Millisecond
		s.Servers[1].Warnings = nil
	})
	m = update(m, tickMsg{model: m.id})
	if row := rowOf(t, m, "search"); strings.Contains(row, "checking") || !strings.Contains(row, "healthy") || !strings.Contains(row, "12ms") {
		t.Fatalf("after the new result the row says %q", row)
	}
	if got := statusOf(m); got != "rechecked search: healthy in 12ms" {
		t.Fatalf("flash line %q after the result", got)
	}
	// The flash stays a while, then the line shows the selection again.
	m.now = func() time.Time { return now.Add(flashFor - time.Second) }
	if m = update(m, tickMsg{model: m.id}); statusOf(m) != "rechecked search: healthy in 12ms" {
		t.Fatalf("flash gone early: %q", statusOf(m))
	}
	m.now = func() time.Time { return now.Add(flashFor) }
	if m = update(m, tickMsg{model: m.id}); !strings.HasPrefix(statusOf(m), "› search  https://search.internal") {
		t.Fatalf("after the flash the line says %q", statusOf(m))
	}
}

// TestRecheckHealthyShowsChecking: a row that shows its measurements shows
// checking… in LAST CHECK.
func TestRecheckHealthyShowsChecking(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "G", "k", "k", "k", "k", "r") // github-tools
	if !strings.Contains(rowOf(t, m, "github-tools"), "checking…") {
		t.Fatalf("no optimistic checking… on the row: %q", rowOf(t, m, "github-tools"))
	}
}

// statusOf is the status line: the flash, or the selected server's reason.
func statusOf(m Model) string {
	f, _ := m.footer(m.headerLines())
	return strings.TrimRight(ansi.Strip(f[len(f)-2]), " ")
}

// TestRecheckResolvedByNewResult covers a check that starts and ends
// between two polls: the snapshot never shows it checking.
func TestRecheckResolvedByNewResult(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "r")
	src.set(func(s *probe.Snapshot) { s.Servers[0].Last.Started = now })
	m = update(m, tickMsg{model: m.id})
	if strings.Contains(rowOf(t, m, "billing-api"), "checking") {
		t.Fatal("checking… outlived a newer result")
	}
}

func TestRecheckFromDetail(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "enter", "r")
	if got, _ := src.recorded(); !slices.Equal(got, []string{"billing-api"}) {
		t.Fatalf("Recheck calls %v, want [billing-api]", got)
	}
	if !strings.Contains(strings.Join(screen(m), "\n"), "Checked      checking…") {
		t.Fatalf("detail does not show the recheck:\n%s", strings.Join(screen(m), "\n"))
	}
}

func TestRecheckUnknownServerShowsNothing(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 80, 24)
	src.set(func(s *probe.Snapshot) { s.Servers = s.Servers[1:] }) // billing-api left the pool; we have not polled yet
	m = keys(m, "r")
	if len(m.pending) != 0 {
		t.Fatalf("pending %v for a server the source does not know", m.pending)
	}
}

func TestRecheckAll(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "R")
	if _, all := src.recorded(); all != 1 {
		t.Fatalf("RecheckAll called %d times, want 1", all)
	}
	for _, name := range severityOrder {
		if !m.checking(m.state(m.rows[slices.Index(names(m), name)])) {
			t.Errorf("%s is not checking", name)
		}
	}
	for _, name := range []string{"calendar", "github-tools", "new-server"} { // rows with measurements
		if !strings.Contains(rowOf(t, m, name), "checking…") {
			t.Errorf("%s does not show checking…: %q", name, rowOf(t, m, name))
		}
	}
	if got := statusOf(m); got != "rechecking 11 servers…" {
		t.Fatalf("flash %q", got)
	}
	src.set(func(s *probe.Snapshot) {
		for i := range s.Servers {
			s.Servers[i].Last.Started = now
			s.Servers[i].Checking = false
		}
	})
	m = update(m, tickMsg{model: m.id})
	if got, want := m.flash.text, "rechecked 11 servers: 1 auth_error, 2 unhealthy, 1 degraded, 4 healthy, 2 skipped, 1 unknown"; got != want {
		t.Fatalf("flash %q, want %q", got, want)
	}
}

func TestFailingOnly(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "f")
	want := []string{"billing-api", "reports", "search", "slow-docs", "crm"} // crm warns
	if got := names(m); !slices.Equal(got, want) {
		t.Fatalf("failing only: %v, want %v", got, want)
	}
	if !strings.Contains(screen(m)[0], "failing only") {
		t.Fatalf("title does not say failing only: %q", screen(m)[0])
	}
	if m = keys(m, "f"); len(m.rows) != len(severityOrder) {
		t.Fatalf("f again shows %d rows, want all %d", len(m.rows), len(severityOrder))
	}
}

func TestFilter(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "/")
	if m.mode != modeFilter {
		t.Fatalf("mode %v after /, want filter", m.mode)
	}
	m = typed(m, "fin") // the tag "finance"
	if got, want := names(m), []string{"billing-api", "payroll"}; !slices.Equal(got, want) {
		t.Fatalf("while typing: %v, want %v", got, want)
	}
	if _, cur := m.render(); cur == nil {
		t.Fatal("no terminal cursor in the filter line")
	}
	m = keys(m, "backspace", "backspace", "backspace")
	m = typed(m, "CRM") // names match regardless of case
	m = keys(m, "enter")
	if m.mode != modeTable || m.filter != "CRM" || !slices.Equal(names(m), []string{"crm"}) {
		t.Fatalf("after enter: mode %v filter %q rows %v", m.mode, m.filter, names(m))
	}
	if !strings.Contains(screen(m)[0], "filter: CRM") {
		t.Fatalf("title does not show the filter: %q", screen(m)[0])
	}
	// q is text while typing, not quit.
	m = keys(m, "/")
	if m.input.Value() != "CRM" {
		t.Fatalf("reopened filter holds %q, want CRM", m.input.Value())
	}
	next, cmd := m.Update(press("q"))
	m = next.(Model)
	if isQuit(cmd) || m.input.Value() != "CRMq" {
		t.Fatalf("q while filtering: quit=%v value %q", isQuit(cmd), m.input.Value())
	}
	m = keys(m, "esc")
	if m.mode != modeTable || m.filter != "" || len(m.rows) != len(severityOrder) {
		t.Fatalf("esc left mode %v filter %q and %d rows", m.mode, m.filter, len(m.rows))
	}
}

func TestEscClearsAppliedFilter(t *testing.T) {
	m := keys(typed(keys(newModel(newFake(fleet()), 80, 24), "/"), "prod"), "enter")
	if len(m.rows) != 3 {
		t.Fatalf("filter prod: %v, want 3 rows", names(m))
	}
	if m = keys(m, "esc"); m.filter != "" || len(m.rows) != len(severityOrder) {
		t.Fatalf("esc in the table left filter %q, %d rows", m.filter, len(m.rows))
	}
}

func TestNoMatchSaysSo(t *testing.T) {
	m := keys(typed(keys(newModel(newFake(fleet()), 80, 24), "/"), "zzz"), "enter")
	if got := screen(m)[tableHeader]; !strings.Contains(got, "no server matches zzz") {
		t.Fatalf("empty table says %q", got)
	}
	if m = keys(m, "enter", "r", "j"); m.mode != modeTable || len(m.pending) != 0 {
		t.Fatal("keys on an empty table did something")
	}
}

func TestSortCycles(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	for _, tc := range []struct {
		title string
		first []string
	}{
		{"name", []string{"billing-api", "calendar", "crm", "github-tools", "new-server"}},
		{"latency", []string{"slow-docs", "crm", "github-tools", "calendar", "wiki"}},
		{"token expiry", []string{"reports", "calendar", "crm", "github-tools", "wiki"}},
		{"severity", severityOrder[:5]},
	} {
		m = keys(m, "s")
		if m.reverse {
			t.Fatal("s left the order reversed")
		}
		if got := names(m)[:len(tc.first)]; !slices.Equal(got, tc.first) {
			t.Errorf("sort %s: %v, want %v first", tc.title, got, tc.first)
		}
		if !strings.Contains(screen(m)[0], "sort: "+tc.title) {
			t.Errorf("title does not say sort: %s: %q", tc.title, screen(m)[0])
		}
	}
}

// TestCursorFollowsServer re-sorts under the cursor: it stays on its server.
func TestCursorFollowsServer(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "j", "j", "j", "j") // crm
	if m.selected != "crm" {
		t.Fatalf("on %q, want crm", m.selected)
	}
	src.set(func(s *probe.Snapshot) { s.Servers[4].Last.Status = probe.StatusUnhealthy })
	m = update(m, tickMsg{model: m.id})
	if m.selected != "crm" || names(m)[m.cursor] != "crm" || m.cursor != 1 {
		t.Fatalf("cursor %d on %q after crm became unhealthy, want 1 on crm", m.cursor, m.selected)
	}
}

func TestHelpToggles(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	short := strings.Join(screen(m), "\n")
	m = keys(m, "?")
	full := strings.Join(screen(m), "\n")
	for _, want := range []string{"page down", "recheck all", "failing only", "first", "last"} {
		if strings.Contains(short, want) || !strings.Contains(full, want) {
			t.Errorf("%q: in short help %v, in full help %v", want, strings.Contains(short, want), strings.Contains(full, want))
		}
	}
	if m = keys(m, "?"); strings.Join(screen(m), "\n") != short {
		t.Error("? twice does not restore the short help")
	}
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestQuit(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"q", []string{"q"}},
		{"ctrl+c", []string{"ctrl+c"}},
		{"q in detail", []string{"enter", "q"}},
		{"ctrl+c while filtering", []string{"/", "ctrl+c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(newFake(fleet()), 80, 24)
			m = keys(m, tc.keys[:len(tc.keys)-1]...)
			_, cmd := m.Update(press(tc.keys[len(tc.keys)-1]))
			if !isQuit(cmd) {
				t.Fatal("did not quit")
			}
		})
	}
}

func TestTickPollsAndReschedules(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 80, 24)
	before := src.snapshots
	next, cmd := m.Update(tickMsg{model: m.id})
	if src.snapshots != before+1 || cmd == nil {
		t.Fatalf("tick: %d snapshots taken, next tick %v", src.snapshots-before, cmd != nil)
	}
	_ = next
	// A tick scheduled by another model neither polls nor starts a second loop.
	_, cmd = m.Update(tickMsg{model: m.id + 1000})
	if src.snapshots != before+1 || cmd != nil {
		t.Fatal("a foreign tick polled or rescheduled")
	}
}

// TestUnchangedSnapshotIsNotRebuilt: the same version costs nothing.
func TestUnchangedSnapshotIsNotRebuilt(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 80, 24)
	rows := &m.rows[0]
	m = update(m, tickMsg{model: m.id})
	if &m.rows[0] != rows {
		t.Fatal("rows rebuilt although the snapshot version did not change")
	}
	src.set(func(*probe.Snapshot) {})
	m = update(m, tickMsg{model: m.id})
	if &m.rows[0] == rows {
		t.Fatal("rows not rebuilt for a new snapshot version")
	}
}

// TestViewStableBetweenTicks: ticks within one second, with no new
// snapshot, draw the same frame; the next second moves the countdowns.
func TestViewStableBetweenTicks(t *testing.T) {
	clock := now
	src := newFake(fleet())
	m := New(src, Options{Color: "always", Now: func() time.Time { return clock }})
	m = update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	first := m.View().Content
	for range 3 {
		clock = clock.Add(200 * time.Millisecond)
		m = update(m, tickMsg{model: m.id})
		if m.View().Content != first {
			t.Fatal("frame changed within the second without a new snapshot")
		}
	}
	clock = now.Add(time.Second)
	m = update(m, tickMsg{model: m.id})
	if got := rowOf(t, m, "github-tools"); !strings.Contains(got, "expires in 4m11s") || !strings.Contains(got, "5s ago") {
		t.Fatalf("a second later the countdown did not move, or the 5s-step age did: %q", got)
	}
	clock = now.Add(3 * time.Second) // 10 s old, but ages move on the shared 5-second grid (ageGrid)
	m = update(m, tickMsg{model: m.id})
	if got := rowOf(t, m, "github-tools"); !strings.Contains(got, "5s ago") {
		t.Fatalf("the age stepped off the 5-second grid: %q", got)
	}
	clock = now.Add(5 * time.Second)
	m = update(m, tickMsg{model: m.id})
	if got := rowOf(t, m, "github-tools"); !strings.Contains(got, "10s ago") {
		t.Fatalf("the age did not step to 10s: %q", got)
	}
}

func TestResize(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	m = update(m, tea.WindowSizeMsg{Width: 200, Height: 48})
	lines := screen(m)
	if len(lines) != 48 || !strings.Contains(lines[2], "REASON") || !strings.Contains(lines[2], "HISTORY") {
		t.Fatalf("after resize to 200x48: %d lines, headings %q", len(lines), lines[2])
	}
	m = update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(screen(m)[2], "REASON") || strings.Contains(screen(m)[2], "HISTORY") {
		t.Fatal("reason or history column kept at 80 columns")
	}
}

func TestBackgroundColourPicksPalette(t *testing.T) {
	m := New(newFake(fleet()), Options{Color: "auto", Now: func() time.Time { return now }})
	dark := m.View().Content
	m = update(m, bg(false))
	if m.isDark || m.View().Content == dark {
		t.Fatal("a light background did not change the palette")
	}
	m = update(m, bg(true))
	if m.View().Content != dark {
		t.Fatal("back on dark, the frame differs from the first")
	}
}

func TestInitAsksBackgroundAndTicks(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	batch, ok := m.Init()().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("Init returned %T, want a batch of two", batch)
	}
	var sawBackground, sawTick bool
	for _, cmd := range batch {
		switch msg := cmd().(type) {
		case tickMsg:
			sawTick = msg.model == m.id
		default:
			sawBackground = fmt.Sprintf("%T", msg) == fmt.Sprintf("%T", tea.RequestBackgroundColor())
		}
	}
	if !sawBackground || !sawTick {
		t.Fatalf("background query %v, tick %v", sawBackground, sawTick)
	}
}

// TestFirstRowWatchesTheWorst: until the first key press, the cursor stays
// on top as the order changes, rather than chasing a server that was first
// only because nothing had been checked yet. From the first key on it stays
// on its server, on the first row too.
func TestFirstRowWatchesTheWorst(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 80, 24)
	src.set(func(s *probe.Snapshot) { s.Servers[0].Last.Status = probe.StatusHealthy }) // billing-api recovers
	m = update(m, tickMsg{model: m.id})
	if m.cursor != 0 || m.selected != "reports" {
		t.Fatalf("cursor %d on %q, want 0 on reports", m.cursor, m.selected)
	}
	m = keys(m, "j", "k") // back on the first row, on reports: it stays there
	src.set(func(s *probe.Snapshot) { s.Servers[7].Last.Status = probe.StatusHealthy })
	if m = update(m, tickMsg{model: m.id}); m.selected != "reports" || names(m)[m.cursor] != "reports" {
		t.Fatalf("cursor %d on %q, want it on reports", m.cursor, m.selected)
	}
}

// TestDetailOfVanishedServer: a config reload can remove the server the
// detail view is showing; the page says so, and esc returns to the table.
func TestDetailOfVanishedServer(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "j", "j", "enter") // search
	src.set(func(s *probe.Snapshot) { s.Servers = slices.Delete(s.Servers, 1, 2) })
	m = update(m, tickMsg{model: m.id})
	if got := strings.Join(screen(m), "\n"); !strings.Contains(got, "search is no longer in the configuration") {
		t.Fatalf("detail of a removed server:\n%s", got)
	}
	m = keys(m, "esc")
	if m.mode != modeTable || m.cursor != 2 || m.selected != names(m)[2] {
		t.Fatalf("back in the table: mode %v, cursor %d on %q", m.mode, m.cursor, m.selected)
	}
}

// TestDetailKeepsServerOutOfFilter: failing-only cannot be toggled from the
// detail view, but a snapshot can take the server out of a filter; the
// page keeps showing it.
func TestDetailKeepsServerOutOfFilter(t *testing.T) {
	src := newFake(fleet())
	m := keys(newModel(src, 80, 24), "f", "j", "enter") // reports, failing only
	src.set(func(s *probe.Snapshot) { s.Servers[7].Last.Status = probe.StatusHealthy })
	m = update(m, tickMsg{model: m.id})
	if got := screen(m)[0]; !strings.Contains(got, "reports") || !strings.Contains(got, "healthy") {
		t.Fatalf("detail title after reports recovered: %q", got)
	}
}
