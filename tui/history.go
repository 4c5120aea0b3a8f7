package tui

import (
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// History is what the dashboard reads from the state store: the timeline of
// events and uptime over windows longer than a snapshot's history. Like the
// snapshots, it is polled on the tick and read again only when Version moves,
// and never from View: a query may touch the disk.
type History interface {
	// Version changes whenever Events or Uptime may answer differently.
	Version() uint64
	// Events are the newest events first, at most limit of them; server ""
	// means every server.
	Events(server string, limit int) []probe.Event
	// Uptime is the share of checks over the last window that were healthy
	// or degraded; ok is false when there were none.
	Uptime(server string, window time.Duration) (ratio float64, ok bool)
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

// uptimeWindows are the windows the detail view shows uptime over.
var uptimeWindows = [...]struct {
	d     time.Duration
	label string
}{{time.Hour, "1h"}, {24 * time.Hour, "24h"}, {7 * 24 * time.Hour, "7d"}}

type uptime struct {
	ratio float64
	ok    bool
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
	uptime       [len(uptimeWindows)]uptime
}

// pollHistory reads the notice each tick (a store can fail at any time) and
// the rest only when the store's version moved and a view shows it.
func (m *Model) pollHistory() {
	h := m.opts.History
	if h == nil {
		return
	}
	if m.hist.read && h.Version() == m.hist.version {
		m.hist.notice = h.Notice()
		return
	}
	m.readHistory()
}

// readHistory reads what the current view needs from History.
func (m *Model) readHistory() {
	h := m.opts.History
	if h == nil {
		return
	}
	next := historyView{version: h.Version(), read: true, notice: h.Notice()}
	if m.mode == modeEvents || m.mode == modeEventsFilter {
		next.events = h.Events("", eventsLimit)
	}
	if m.mode == modeDetail && m.selected != "" {
		next.server = m.selected
		next.serverEvents = h.Events(m.selected, serverEventsLimit)
		for i, w := range uptimeWindows {
			next.uptime[i].ratio, next.uptime[i].ok = h.Uptime(m.selected, w.d)
		}
	}
	m.hist = next
	m.filterEvents()
}
