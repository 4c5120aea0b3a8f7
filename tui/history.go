package tui

import (
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
)

// History is what the dashboard reads from the state store: the timeline of
// events and uptime over windows longer than a snapshot's history. It is
// state.Reader, method for method, so a *state.Store is one. Like the
// snapshots, it is polled on the tick and read again only when Version
// moves (it also moves when Notice changes), and never from View.
type History interface {
	// Version changes whenever Events, Uptime or Notice may answer anew.
	Version() uint64
	// Events are the events q selects, newest first.
	Events(q state.Query) []probe.Event
	// Uptime is a server's uptime over the last hour, day and week.
	Uptime(server string) state.Uptime
	// Notice is a problem with the store worth a line in the header (e.g.
	// the state dir is in use by another mcpwatch and history is kept in
	// memory), or "".
	Notice() string
}

// Limits of what is read from History at a time.
const (
	eventsLimit       = 2000 // the events view: newest first, filtered here
	serverEventsLimit = 8    // the detail view's recent changes
)

// uptimeLabels name the windows of state.Uptime in the detail view.
var uptimeLabels = [...]string{"1h", "24h", "7d"}

func uptimeWindows(u state.Uptime) [len(uptimeLabels)]state.Window {
	return [...]state.Window{u.Hour, u.Day, u.Week}
}

// historyView is what was last read from History, so that drawing never
// queries it. A model replaces it whole (earlier copies of the model keep
// theirs).
type historyView struct {
	version uint64
	read    bool // anything was read at all
	notice  string

	events []probe.Event // fleet-wide, for the events view; read while it is open

	server       string        // whose serverEvents and uptime these are
	serverEvents []probe.Event // newest first
	uptime       state.Uptime
}

// pollHistory reads History again when its version moved: the notice, and
// what the view on screen shows of it.
func (m *Model) pollHistory() {
	if h := m.opts.History; h != nil && (!m.hist.read || h.Version() != m.hist.version) {
		m.readHistory()
	}
}

// readHistory reads what the current view needs from History.
func (m *Model) readHistory() {
	h := m.opts.History
	if h == nil {
		return
	}
	next := historyView{version: h.Version(), read: true, notice: h.Notice()}
	if m.mode == modeEvents || m.mode == modeEventsFilter {
		next.events = h.Events(state.Query{Limit: eventsLimit})
	}
	if m.mode == modeDetail && m.selected != "" {
		next.server = m.selected
		next.serverEvents = h.Events(state.Query{Servers: []string{m.selected}, Limit: serverEventsLimit})
		next.uptime = h.Uptime(m.selected)
	}
	m.hist = next
	m.filterEvents()
}
