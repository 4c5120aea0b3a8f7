package tui

import (
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// tableHeader is the title, the counts and the column headings; a notice
// from the state store adds a line (see headerLines).
const tableHeader = 3

// headerLines is how many lines the table's header takes.
func (m *Model) headerLines() int {
	if m.hist.notice != "" {
		return tableHeader + 1
	}
	return tableHeader
}

// tableView is the title, the counts, the column headings, the rows on
// screen (and only those: a frame costs the same with 10 servers or
// 10,000), blank lines down to the footer, and the footer.
func (m *Model) tableView() (lines []string, inputLine int) {
	now := m.clock()
	l := m.columns(m.width)
	head := m.headerLines()
	footer, inputLine := m.footer(head)
	h := max(m.height-head-len(footer), 0)

	lines = make([]string, 0, m.height)
	lines = append(lines, m.titleLine(m.tableState()))
	if m.hist.notice != "" {
		lines = append(lines, m.noticeLine())
	}
	lines = append(lines, m.countsLine(), m.headings(l))

	end := min(m.offset+h, len(m.rows))
	top := m.sparkTop(l, m.offset, end)
	var b strings.Builder
	for i := m.offset; i < end; i++ {
		// Reset lets go of the last row's buffer (its string is on screen);
		// one allocation per row, sized for a row and its colours.
		b.Reset()
		b.Grow(m.width*2 + 256)
		m.renderRow(&b, m.state(m.rows[i]), l, i == m.cursor, now, top)
		lines = append(lines, b.String())
	}
	if len(m.rows) == 0 && h > 0 {
		lines = append(lines, m.fitLine("  "+m.styles.dim.render(m.emptyText())))
	}
	for len(lines) < head+h {
		lines = append(lines, "")
	}
	if inputLine >= 0 {
		inputLine += len(lines)
	}
	return append(lines, footer...), inputLine
}

// noticeLine is the state store's notice, e.g. that history is kept in memory.
func (m *Model) noticeLine() string {
	return m.fitLine(m.styles.warn.render(m.glyphs.warning + " " + clean(m.hist.notice)))
}

// selectedLine stands under the table: the selected server's whole reason
// (a row may have cut it), or its URL when it has none.
func (m *Model) selectedLine() string {
	st := m.selectedState()
	if st == nil || len(m.rows) == 0 {
		return ""
	}
	text, p := m.reasonText(st), paint{}
	if text == "" {
		text, p = clean(st.URL), m.styles.dim
	}
	return m.fitLine(m.glyphs.cursor + " " + m.styles.header.render(clean(st.Name)) + "  " + p.render(text))
}

func (m *Model) emptyText() string {
	switch {
	case len(m.snap.Servers) == 0:
		return "no servers configured"
	case m.filter != "":
		return "no server matches " + clean(m.filter)
	case m.failingOnly:
		return "nothing failing or warning"
	}
	return "no servers"
}

// sortColumn is the column the sort key orders by.
func (m *Model) sortColumn() colID {
	return [...]colID{sortSeverity: colStatus, sortName: colName, sortLatency: colLatency, sortExpiry: colToken}[m.sortBy]
}

// headings are the column titles, the sort column marked with its direction.
func (m *Model) headings(l layout) string {
	var b strings.Builder
	b.WriteString(m.styles.header.on)
	spaces(&b, rowPrefix)
	sorted := m.sortColumn()
	for i, c := range l.cols {
		if i > 0 {
			spaces(&b, colGap)
		}
		title := c.title
		if c.id == sorted {
			if m.reverse {
				title += m.glyphs.up
			} else {
				title += m.glyphs.down
			}
		}
		pad(&b, title, c.w, c.right, "")
	}
	b.WriteString(m.styles.header.off)
	if l.width() <= m.width {
		return b.String()
	}
	return m.fitLine(b.String())
}

// sparkTop is the slowest latency any sparkline on screen draws: one scale
// for the whole screen, so a bar means the same height on every row.
func (m *Model) sparkTop(l layout, from, to int) time.Duration {
	w := 0
	for _, c := range l.cols {
		if c.id == colHistory {
			w = c.w
		}
	}
	var top time.Duration
	if w == 0 {
		return 0
	}
	for i := from; i < to; i++ {
		st := m.state(m.rows[i])
		if l.span >= 0 && hasReason(st) {
			continue // the reason covers its sparkline
		}
		h := st.History
		for _, p := range h[max(len(h)-w, 0):] {
			top = max(top, p.Latency())
		}
	}
	return top
}

// renderRow writes one row of exactly m.width cells.
func (m *Model) renderRow(b *strings.Builder, st *probe.ServerState, l layout, selected bool, now time.Time, top time.Duration) {
	s, g := m.styles, &m.glyphs
	used := rowPrefix
	if selected {
		b.WriteString(s.selected.on)
		b.WriteString(g.cursor)
		b.WriteByte(' ')
	} else {
		b.WriteString("  ")
	}
	explains := l.span >= 0 && hasReason(st)
	ages := now.Truncate(ageGrid) // see ageGrid
	for i, c := range l.cols {
		if i > 0 {
			spaces(b, colGap)
			used += colGap
		}
		if explains && i == l.span {
			w := l.reasonWidth(m.width)
			m.writeReason(b, st, w, now)
			used += w
			break
		}
		used += max(c.w, 0)
		switch c.id {
		case colStatus:
			cell(b, g.statusCell(st.Last.Status), c, s.forStatus(st.Last.Status), g.ellipsis)
		case colName:
			cell(b, clean(st.Name), c, paint{}, g.ellipsis)
		case colFor:
			cell(b, sinceText(st.Since, ages, *g), c, s.dim, "")
		case colLatency:
			m.latencyCell(b, st, c)
		case colHistory:
			sparkline(b, st.History, c.w, top, *g, s.dim, s.bad)
		case colLast:
			if m.checking(st) {
				cell(b, g.checking, c, s.accent, g.ellipsis)
			} else {
				cell(b, agoStep(st.Last.Started, ages), c, s.dim, g.ellipsis)
			}
		case colToken:
			m.tokenCell(b, st.Token, c, now)
		case colReason:
			m.writeReason(b, st, c.w, now)
		}
	}
	if explains && l.span == len(l.cols) { // no measurement column fits: the reason follows FOR
		if w := m.width - used - colGap; w > 0 {
			spaces(b, colGap)
			m.writeReason(b, st, w, now)
			used += colGap + w
		}
	}
	spaces(b, m.width-used)
	if selected {
		b.WriteString(s.selected.off)
	}
}

// cell writes s painted and padded (or cut) to the column's width.
func cell(b *strings.Builder, s string, c column, p paint, ellipsis string) {
	b.WriteString(p.on)
	pad(b, s, c.w, c.right, ellipsis)
	b.WriteString(p.off)
}

func (m *Model) latencyCell(b *strings.Builder, st *probe.ServerState, c column) {
	text := latency(st.Last.Latency)
	p := paint{}
	switch {
	case text == "":
		text, p = m.glyphs.none, m.styles.dim
	case st.Last.Status == probe.StatusDegraded:
		p = m.styles.warn
	}
	cell(b, text, c, p, "")
}

func (m *Model) tokenCell(b *strings.Builder, t *probe.TokenInfo, c column, now time.Time) {
	long, short, st := tokenTextStep(t, now, m.glyphs)
	text := long
	if width(long) > c.w {
		text = short
	}
	var p paint
	switch st {
	case tokenNone, tokenRefreshing, tokenNoExpiry:
		p = m.styles.dim
	case tokenRefreshFailed:
		p = m.styles.warn
	case tokenExpired:
		p = m.styles.bad
	case tokenValid:
		if t.Expiry.Sub(now) < time.Minute {
			p = m.styles.warn
		}
	}
	cell(b, text, c, p, m.glyphs.ellipsis)
}
