package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// uptimeText is the detail view's uptime: over the last hour, day and week
// from History, or over the results the snapshot holds when history is off.
func (m *Model) uptimeText(st *probe.ServerState) string {
	if m.opts.History != nil && m.hist.server == st.Name {
		parts := make([]string, 0, len(uptimeLabels))
		for i, w := range uptimeWindows(m.hist.uptime) {
			if ratio, ok := w.Ratio(); ok {
				parts = append(parts, fmt.Sprintf("%.1f%% %s", ratio*100, uptimeLabels[i]))
			} else {
				parts = append(parts, m.glyphs.none+" "+uptimeLabels[i])
			}
		}
		return strings.Join(parts, ", ")
	}
	if ratio, ok := st.Uptime(); ok {
		return fmt.Sprintf("%.1f%% over the last %d results", ratio*100, len(st.History))
	}
	return m.glyphs.none + " nothing checked yet"
}

// changesSection is the server's last transitions, newest first: from
// History when there is one, else the status changes among the results the
// snapshot holds (without their reasons).
func (m *Model) changesSection(d *detailWriter, st *probe.ServerState) {
	now := m.clock()
	if m.opts.History != nil {
		d.section("Recent changes")
		if m.hist.server != st.Name || len(m.hist.serverEvents) == 0 {
			d.line("  " + m.styles.dim.render("none recorded"))
			return
		}
		tw := timeWidth(m.hist.serverEvents, now)
		for i := range m.hist.serverEvents {
			ev := &m.hist.serverEvents[i]
			text := m.transitionText(ev)
			if ev.Kind == probe.EventChange {
				text = m.styles.accent.render(clean(ev.Class)) + "  " + text
			} else if c := eventClass(ev); c != "" {
				text += "  " + m.styles.dim.render(c)
			}
			if r := clean(ev.Reason); r != "" {
				text += "  " + r
			}
			d.hang(timeLabel(ev.At, now, tw), text)
		}
		return
	}
	// No history: the status changes among the results in memory, a short
	// line each (no reason is kept with them), written in one go.
	h := st.History
	type change struct {
		at       time.Time
		from, to probe.Status
	}
	var changes [serverEventsLimit]change
	n := 0
	for i := len(h) - 1; i > 0 && n < len(changes); i-- {
		if h[i].Status() != h[i-1].Status() {
			changes[n] = change{h[i].At(), h[i-1].Status(), h[i].Status()}
			n++
		}
	}
	if n == 0 {
		return
	}
	d.section(fmt.Sprintf("Recent changes (in the last %d checks; history is off)", len(h)))
	var times [serverEventsLimit]string
	tw := 0
	for i, c := range changes[:n] {
		times[i] = clockTime(c.at, now)
		tw = max(tw, width(times[i]))
	}
	var b strings.Builder
	for i, c := range changes[:n] {
		b.Reset()
		b.Grow(64)
		spaces(&b, d.indent)
		pad(&b, times[i], tw, false, "")
		b.WriteString("  ")
		m.writeTransition(&b, &probe.Event{Kind: probe.EventStatus, From: string(c.from), To: string(c.to)})
		d.line(b.String())
	}
}

// timeWidth is the widest time label among evs.
func timeWidth(evs []probe.Event, now time.Time) int {
	w := 0
	for _, ev := range evs {
		w = max(w, width(clockTime(ev.At, now)))
	}
	return w
}

// timeLabel is t as a label w cells wide, and the gap after it.
func timeLabel(t, now time.Time, w int) string {
	var b strings.Builder
	pad(&b, clockTime(t, now), w, false, "")
	b.WriteString("  ")
	return b.String()
}
