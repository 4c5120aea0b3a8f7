package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
)

// eventRows are the event lines on screen: each line under the headings
// that starts with a time.
func eventRows(m Model) []string {
	var out []string
	for _, l := range screen(m)[2:] {
		if len(l) > 8 && l[2] == ':' && l[5] == ':' {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return out
}

func TestEventsView(t *testing.T) {
	h := timeline()
	m := keys(newModelWith(newFake(fleet()), 120, 40, Options{History: h}), "e")
	if m.mode != modeEvents || !strings.HasPrefix(screen(m)[0], "mcpwatch › events") {
		t.Fatalf("e: mode %v, title %q", m.mode, screen(m)[0])
	}
	if got := screen(m)[1]; !strings.Contains(got, "TIME") || !strings.Contains(got, "CHANGE") || !strings.Contains(got, "CLASS") || !strings.Contains(got, "REASON") {
		t.Fatalf("headings %q", got)
	}
	rows := eventRows(m)
	if len(rows) != 9 { // the tenth is from yesterday
		t.Fatalf("%d event rows today:\n%s", len(rows), strings.Join(screen(m), "\n"))
	}
	for _, want := range []string{
		"15:03:58 github-tools protocol.version 2025-06-18 → 2025-11-25", // what changed, then from → to
		"15:01:05 search healthy → unhealthy connect.refused connection refused",
		"15:03:45 crm — → token.refresh_failing token refresh failing",
		"14:44:05 crm token.refresh_failing → — cleared",
	} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("no event row starting %q:\n%s", want, strings.Join(rows, "\n"))
		}
	}

	// '/' filters by any text of the event; esc clears the filter, then
	// goes back where e was pressed.
	m = keys(typed(keys(m, "/"), "refresh"), "enter")
	if rows := eventRows(m); len(rows) != 2 || !strings.Contains(screen(m)[0], "filter: refresh") {
		t.Fatalf("filter refresh: %v", rows)
	}
	m = keys(m, "esc")
	if m.mode != modeEvents || m.eFilter != "" || len(eventRows(m)) != 9 {
		t.Fatalf("esc with a filter: mode %v filter %q", m.mode, m.eFilter)
	}
	m = keys(m, "esc")
	if m.mode != modeTable {
		t.Fatalf("esc: mode %v, want the table", m.mode)
	}
	m = keys(m, "j", "j", "enter", "e", "esc")
	if m.mode != modeDetail || m.selected != "search" {
		t.Fatalf("e from the detail view, then esc: mode %v on %q, want the detail of search", m.mode, m.selected)
	}
}

// TestEventsViewScrolls: the view has its own scroll, and formats only the
// lines on screen.
func TestEventsViewScrolls(t *testing.T) {
	h := &fakeHistory{version: 1}
	for i := range 500 {
		h.events = append(h.events, probe.Event{At: now.Add(-time.Duration(i) * time.Second), Server: "search",
			Kind: probe.EventStatus, From: "healthy", To: "unhealthy", Reason: "r" + itoa(i)})
	}
	m := keys(newModelWith(newFake(fleet()), 80, 24, Options{History: h}), "e")
	if !strings.Contains(screen(m)[0], "1-20/500") {
		t.Fatalf("title %q", screen(m)[0])
	}
	if rows := eventRows(m); !strings.HasSuffix(rows[0], "r0") {
		t.Fatalf("the newest is not first: %q", rows[0])
	}
	m = keys(m, "pgdown", "j")
	if got := eventRows(m)[0]; !strings.HasSuffix(got, "r20") || !strings.Contains(screen(m)[0], "21-40/500") {
		t.Fatalf("after pgdown and j the first row is %q, title %q", got, screen(m)[0])
	}
	if m = keys(m, "G"); !strings.HasSuffix(eventRows(m)[len(eventRows(m))-1], "r499") {
		t.Fatalf("G: the last row is %q", eventRows(m)[len(eventRows(m))-1])
	}
	if m = keys(m, "esc", "e"); m.scroll != 0 {
		t.Fatal("the events view reopened scrolled")
	}
}

// TestHistoryPolledByVersion: History is read again only when its version
// moves, and only for what a view on screen shows.
func TestHistoryPolledByVersion(t *testing.T) {
	h := timeline()
	m := newModelWith(newFake(fleet()), 120, 40, Options{History: h})
	m = update(m, tickMsg{model: m.id}, tickMsg{model: m.id})
	if h.reads != 0 {
		t.Fatalf("the table read %d event lists", h.reads)
	}
	m = keys(m, "e")
	reads := h.reads
	m = update(m, tickMsg{model: m.id}, tickMsg{model: m.id})
	if h.reads != reads {
		t.Fatalf("ticks with the same version read events %d times", h.reads-reads)
	}
	h.add(probe.Event{At: now, Server: "wiki", Kind: probe.EventStatus, From: "healthy", To: "unhealthy", Reason: "fresh-event"})
	m = update(m, tickMsg{model: m.id})
	if h.reads != reads+1 || !strings.Contains(eventRows(m)[0], "fresh-event") {
		t.Fatalf("a new version: %d reads, first row %q", h.reads-reads, eventRows(m)[0])
	}
}

func TestHistoryOff(t *testing.T) {
	m := keys(newModel(newFake(fleet()), 80, 24), "e")
	if got := strings.Join(screen(m), "\n"); !strings.Contains(got, "history is off") {
		t.Fatalf("events without history:\n%s", got)
	}
	m = keys(m, "esc", "enter")
	if got := strings.Join(screen(m), "\n"); !strings.Contains(got, "Uptime       50.0% over the last 20 results") {
		t.Fatalf("detail without history:\n%s", got)
	}
}

// TestNoticeInHeader: the store's notice (say, history kept in memory) is
// in the header of the table and the events view, and goes when it does.
func TestNoticeInHeader(t *testing.T) {
	h := timeline()
	m := newModelWith(newFake(fleet()), 120, 40, Options{History: h})
	h.mu.Lock()
	h.notice, h.version = "state dir /var/lib/mcpwatch is in use by another mcpwatch (pid 4242); history is kept in memory", 2
	h.mu.Unlock()
	m = update(m, tickMsg{model: m.id})
	want := "▲ state dir /var/lib/mcpwatch is in use by another mcpwatch (pid 4242); history is kept in memory"
	if got := screen(m)[1]; got != want {
		t.Fatalf("table header line 2 = %q, want the notice", got)
	}
	if got := rowOf(t, m, "billing-api"); !strings.HasPrefix(got, "› ⊗ auth_error") {
		t.Fatalf("the rows did not move down under the notice: %q", got)
	}
	checkFrame(t, m)
	if got := screen(keys(m, "e"))[1]; got != want {
		t.Fatalf("events header line 2 = %q, want the notice", got)
	}
	if got := screen(keys(m, "enter"))[1]; got != want {
		t.Fatalf("detail header line 2 = %q, want the notice", got)
	}
	checkFrame(t, keys(m, "enter"))
	h.mu.Lock()
	h.notice, h.version = "", 3
	h.mu.Unlock()
	if m = update(m, tickMsg{model: m.id}); strings.Contains(strings.Join(screen(m), "\n"), "in use") {
		t.Fatal("the notice stayed after the store cleared it")
	}
}

func TestDetailWithHistory(t *testing.T) {
	h := timeline()
	m := keys(newModelWith(newFake(fleet()), 120, 40, Options{History: h}), "enter") // billing-api
	text := strings.Join(screen(m), "\n")
	for _, want := range []string{
		"Uptime       0.0% 1h, 43.0% 24h, 91.2% 7d",
		"Since        auth_error for 12m40s, since 14:51:25",
		"Recent changes\n  14:51:25  healthy → auth_error  token.invalid_client  token endpoint refused the client: invalid_client (HTTP 401)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("detail lacks %q:\n%s", want, text)
		}
	}
	m = keys(m, "esc", "G", "enter") // new-server: nothing checked, nothing recorded
	text = strings.Join(screen(m), "\n")
	for _, want := range []string{"Uptime       — 1h, — 24h, — 7d", "Recent changes\n  none recorded"} {
		if !strings.Contains(text, want) {
			t.Errorf("detail of new-server lacks %q:\n%s", want, text)
		}
	}
}

// TestSparklinesShareAScale: one slow server on screen flattens the bars of
// the fast ones; failures are drawn in the failure colour.
func TestSparklinesShareAScale(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 120, 40)
	before := rowOf(t, m, "github-tools")
	src.set(func(s *probe.Snapshot) {
		s.Servers[6].History = history(8, []time.Duration{4 * time.Second}, fine) // calendar
	})
	m = update(m, tickMsg{model: m.id})
	after := rowOf(t, m, "github-tools")
	if before == after || !strings.Contains(after, "▁▁▁▁▁▁▁▁▁▁▁▁") {
		t.Fatalf("github-tools' sparkline did not follow the screen's scale:\n%s\n%s", before, after)
	}
	if !strings.Contains(rowOf(t, m, "calendar"), "████████") {
		t.Fatalf("calendar: %q", rowOf(t, m, "calendar"))
	}
	// Colour: the cross of a failed check in the failure colour.
	st := newStyles(true, true)
	var b strings.Builder
	sparkline(&b, history(4, lats, flaky), 4, time.Second, newGlyphs(false), st.dim, st.bad)
	if !strings.Contains(b.String(), st.bad.on+"✗") {
		t.Fatalf("failures not in the failure colour: %q", b.String())
	}
}

// TestStateStoreAsHistory: a real *state.Store, in memory, feeds the events
// view and the detail view with no adapter.
func TestStateStoreAsHistory(t *testing.T) {
	st := state.Open(state.Options{Notice: "no state dir: history is kept in memory"})
	t.Cleanup(func() { _ = st.Close() })
	st.RecordEvent(probe.Event{At: time.Now().Add(-time.Minute), Server: "search", // the store keeps a week back from the real clock Kind: probe.EventStatus,
		From: "healthy", To: "unhealthy", Class: "connect.refused", Reason: "connection refused"})
	st.RecordResult(probe.Result{Server: "search", Status: probe.StatusUnhealthy, Started: time.Now()})
	st.Flush()
	m := newModelWith(newFake(fleet()), 120, 40, Options{History: st})
	m = keys(update(m, tickMsg{model: m.id}), "e")
	if got := strings.Join(strings.Fields(screen(m)[3]), " "); !strings.Contains(got, "search healthy → unhealthy connect.refused connection refused") {
		t.Fatalf("events from the store: %q\n%s", got, strings.Join(screen(m), "\n"))
	}
	if got := screen(m)[1]; !strings.Contains(got, "history is kept in memory") {
		t.Fatalf("the store's notice is not in the header: %q", got)
	}
	m = keys(m, "esc", "j", "j", "enter") // search
	if got := strings.Join(screen(m), "\n"); !strings.Contains(got, "Uptime       0.0% 1h, 0.0% 24h, 0.0% 7d") {
		t.Fatalf("uptime from the store:\n%s", got)
	}
}
