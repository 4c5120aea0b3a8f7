package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// The events view: the fleet's timeline of status changes, warnings raised
// and cleared, and changes of server version, protocol or transport, newest
// first, read from History. '/' filters it by any of its text.

// setEventFilter filters the events view by f.
func (m *Model) setEventFilter(f string) {
	if f == m.eFilter {
		return
	}
	m.eFilter = f
	m.scroll = 0
	m.filterEvents()
}

// filterEvents keeps the events that match the filter, in any of server,
// transition, class and reason, ignoring case.
func (m *Model) filterEvents() {
	q := strings.ToLower(strings.TrimSpace(m.eFilter))
	if q == "" {
		m.eShown = m.hist.events
		return
	}
	shown := make([]probe.Event, 0, len(m.hist.events))
	for _, ev := range m.hist.events {
		for _, f := range [...]string{ev.Server, ev.From, ev.To, ev.Class, ev.Reason, ev.Kind} {
			if strings.Contains(strings.ToLower(f), q) {
				shown = append(shown, ev)
				break
			}
		}
	}
	m.eShown = shown
}

// eventCols are the widths of the events view's columns at the current
// width; class is 0 when there is no room for it.
type eventCols struct{ at, server, change, class, reason int }

func (m *Model) eventColumns() eventCols {
	c := eventCols{at: len("15:04:05"), change: 25} // "— → token.refresh_failing"
	now := m.clock()
	if n := len(m.eShown); n > 0 { // newest first: if the oldest is today, all are
		c.at = max(c.at, width(eventTime(m.eShown[n-1].At, now)))
		if c.at > len("15:04:05") {
			c.at = len("Jan 12 15:04")
		}
	}
	serverMax := 16
	if m.width >= 120 {
		serverMax, c.class = 24, 22
	}
	c.server = min(max(m.fleetNameWidth, len("SERVER")), serverMax)
	used := c.at + colGap + c.server + colGap + c.change + colGap
	if c.class > 0 {
		used += c.class + colGap
	}
	c.reason = max(m.width-used, 0)
	return c
}

// eventHeadings is the column titles of the events view.
func (m *Model) eventHeadings() string {
	c := m.eventColumns()
	var b strings.Builder
	b.WriteString(m.styles.header.on)
	pad(&b, "TIME", c.at, false, "")
	spaces(&b, colGap)
	pad(&b, "SERVER", c.server, false, "")
	spaces(&b, colGap)
	pad(&b, "CHANGE", c.change, false, "")
	if c.class > 0 {
		spaces(&b, colGap)
		pad(&b, "CLASS", c.class, false, "")
	}
	spaces(&b, colGap)
	pad(&b, "REASON", c.reason, false, "")
	b.WriteString(m.styles.header.off)
	return m.fitLine(b.String())
}

// eventsLen is the number of lines of the events view's body.
func (m *Model) eventsLen() int {
	if m.opts.History == nil || len(m.eShown) == 0 {
		return 1
	}
	if len(m.hist.events) >= eventsLimit {
		return len(m.eShown) + 1
	}
	return len(m.eShown)
}

// eventWindow formats the events view's lines from..to, and only those.
func (m *Model) eventWindow(from, to int) []string {
	dim := m.styles.dim
	switch {
	case m.opts.History == nil:
		return []string{m.fitLine(dim.render("history is off: this dashboard keeps no event timeline (no state store)"))}
	case len(m.eShown) == 0 && m.eFilter != "":
		return []string{m.fitLine(dim.render("no event matches " + clean(m.eFilter)))}
	case len(m.eShown) == 0:
		return []string{m.fitLine(dim.render("no events yet"))}
	}
	c := m.eventColumns()
	now := m.clock()
	lines := make([]string, 0, to-from)
	var b strings.Builder
	for i := from; i < to; i++ {
		if i >= len(m.eShown) {
			lines = append(lines, m.fitLine(dim.render("the newest "+strconv.Itoa(eventsLimit)+" events are shown")))
			continue
		}
		b.Reset()
		b.Grow(m.width*2 + 128)
		m.eventLine(&b, &m.eShown[i], c, now)
		lines = append(lines, m.fitLine(b.String()))
	}
	return lines
}

// eventLine writes one event in the columns c. A change of what a server
// runs (version, protocol, transport) names what changed in CHANGE and the
// values in REASON: they are long and have no reason of their own. An
// inventory change has one (its summary), shown instead of two hashes.
func (m *Model) eventLine(b *strings.Builder, ev *probe.Event, c eventCols, now time.Time) {
	g, s := &m.glyphs, m.styles
	cell(b, eventTime(ev.At, now), column{w: c.at}, s.dim, "")
	spaces(b, colGap)
	cell(b, clean(ev.Server), column{w: c.server}, paint{}, g.ellipsis)
	spaces(b, colGap)
	reason := clean(ev.Reason)
	if ev.Kind == probe.EventChange {
		cell(b, clean(ev.Class), column{w: c.change}, s.accent, g.ellipsis)
		if reason == "" { // an inventory change says what changed in its reason instead
			from, _, to, _ := m.sides(ev)
			reason = from + " " + g.arrow + " " + to
		}
	} else {
		m.transition(b, ev, c.change)
	}
	if c.class > 0 {
		spaces(b, colGap)
		class := eventClass(ev)
		if ev.Kind == probe.EventChange {
			class = ""
		}
		cell(b, class, column{w: c.class}, s.dim, g.ellipsis)
	}
	spaces(b, colGap)
	if c.class == 0 && reason == "" {
		reason = eventClass(ev)
	}
	p := paint{}
	if ev.Kind == probe.EventStatus && probe.Status(ev.To) == probe.StatusSkipped {
		p = s.dim
	}
	cell(b, reason, column{w: c.reason}, p, g.ellipsis)
}

// sides are an event's from and to as shown, with their paints: statuses in
// their colours, a raised warning in the warning colour, "—" for a side that
// is empty (a warning raised or cleared, a server first seen).
func (m *Model) sides(ev *probe.Event) (from string, fp paint, to string, tp paint) {
	g, s := &m.glyphs, m.styles
	from, to = clean(ev.From), clean(ev.To)
	switch ev.Kind {
	case probe.EventStatus:
		fp, tp = s.forStatus(probe.Status(ev.From)), s.forStatus(probe.Status(ev.To))
	case probe.EventWarning:
		tp = s.warn
	}
	if from == "" {
		from, fp = g.none, s.dim
	}
	if to == "" {
		to, tp = g.none, s.dim
	}
	return from, fp, to, tp
}

// transition writes "from → to" in w cells, cutting from before to: where
// it went matters most.
func (m *Model) transition(b *strings.Builder, ev *probe.Event, w int) {
	from, fp, to, tp := m.sides(ev)
	arrow := " " + m.glyphs.arrow + " "
	avail := w - width(arrow)
	if avail < 2 {
		spaces(b, w)
		return
	}
	to = fit(to, max(avail-min(width(from), 4), 1), m.glyphs.ellipsis) // where it went matters most
	from = fit(from, avail-width(to), m.glyphs.ellipsis)
	b.WriteString(fp.render(from))
	b.WriteString(arrow)
	b.WriteString(tp.render(to))
	spaces(b, avail-width(from)-width(to))
}

// transitionText is "from → to" whole, painted.
func (m *Model) transitionText(ev *probe.Event) string {
	var b strings.Builder
	m.writeTransition(&b, ev)
	return b.String()
}

// writeTransition writes "from → to" whole, painted.
func (m *Model) writeTransition(b *strings.Builder, ev *probe.Event) {
	from, fp, to, tp := m.sides(ev)
	b.WriteString(fp.on)
	b.WriteString(from)
	b.WriteString(fp.off)
	b.WriteByte(' ')
	b.WriteString(m.glyphs.arrow)
	b.WriteByte(' ')
	b.WriteString(tp.on)
	b.WriteString(to)
	b.WriteString(tp.off)
}

// eventClass is what an event's class adds: nothing when it only repeats
// the warning's name on one side of the transition.
func eventClass(ev *probe.Event) string {
	if ev.Class == ev.From || ev.Class == ev.To {
		return ""
	}
	return clean(ev.Class)
}

// eventTime is when an event happened: the time of day today, else the day
// and the minute (the detail view has the seconds).
func eventTime(t, now time.Time) string {
	t = t.In(now.Location())
	ny, nm, nd := now.Date()
	if y, m, d := t.Date(); y == ny && m == nm && d == nd {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04")
}
