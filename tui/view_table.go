package tui

import (
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// tableHeader is the title, the counts and the column headings.
const tableHeader = 3

// tableView is the title, the counts, the column headings, the rows on
// screen (and only those: a frame costs the same with 10 servers or
// 10,000), blank lines down to the footer, and the footer.
func (m *Model) tableView() (lines []string, inputLine int) {
	now := m.clock()
	cols := m.columns(m.width)
	footer, inputLine := m.footer(tableHeader)
	h := max(m.height-tableHeader-len(footer), 0)

	lines = make([]string, 0, m.height)
	lines = append(lines, m.titleLine(m.tableState()), m.countsLine(), m.headings(cols))

	var b strings.Builder
	b.Grow(m.width * 4)
	end := min(m.offset+h, len(m.rows))
	for i := m.offset; i < end; i++ {
		b.Reset()
		m.renderRow(&b, m.state(m.rows[i]), cols, i == m.cursor, now)
		lines = append(lines, b.String())
	}
	if len(m.rows) == 0 && h > 0 {
		lines = append(lines, m.fitLine("  "+m.styles.dim.render(m.emptyText())))
	}
	for len(lines) < tableHeader+h {
		lines = append(lines, "")
	}
	if inputLine >= 0 {
		inputLine += len(lines)
	}
	return append(lines, footer...), inputLine
}

// showsMessage reports whether the table's message column is wide enough
// for every row's message; if not, the footer repeats the selected one in full.
func (m *Model) showsMessage() bool {
	for _, c := range m.columns(m.width) {
		if c.id == colMessage {
			return c.w >= m.messageWidth
		}
	}
	return false
}

// infoLine stands in for the message column on narrow terminals: the
// selected server's skip reason or error, or its URL when all is well.
func (m *Model) infoLine() string {
	st := m.selectedState()
	if st == nil || len(m.rows) == 0 {
		return ""
	}
	text, p := message(&st.Last), paint{}
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
		return "nothing failing"
	}
	return "no servers"
}

func (m *Model) headings(cols []column) string {
	var b strings.Builder
	b.WriteString(m.styles.header.on)
	spaces(&b, rowPrefix)
	for i, c := range cols {
		if i > 0 {
			spaces(&b, colGap)
		}
		pad(&b, c.title, c.w, c.right, "")
	}
	b.WriteString(m.styles.header.off)
	return b.String()
}

// renderRow writes one row of exactly m.width cells.
func (m *Model) renderRow(b *strings.Builder, st *probe.ServerState, cols []column, selected bool, now time.Time) {
	s, g := &m.styles, &m.glyphs
	used := rowPrefix
	if selected {
		b.WriteString(s.selected.on)
		b.WriteString(g.cursor)
		b.WriteByte(' ')
	} else {
		b.WriteString("  ")
	}
	for i, c := range cols {
		if i > 0 {
			spaces(b, colGap)
			used += colGap
		}
		used += max(c.w, 0)
		switch c.id {
		case colStatus:
			cell(b, g.statusCell(st.Last.Status), c, s.forStatus(st.Last.Status), g.ellipsis)
		case colName:
			cell(b, clean(st.Name), c, paint{}, g.ellipsis)
		case colTransport:
			cell(b, clean(st.Transport), c, paint{}, g.ellipsis)
		case colAuth:
			cell(b, clean(shortAuth(st.AuthKind)), c, paint{}, g.ellipsis)
		case colLatency:
			m.latencyCell(b, st, c)
		case colHistory:
			b.WriteString(s.dim.on)
			sparkline(b, st.History, c.w, *g)
			b.WriteString(s.dim.off)
		case colLast:
			if m.checking(st) {
				cell(b, g.checking, c, s.accent, g.ellipsis)
			} else {
				cell(b, agoStep(st.Last.Started, now), c, s.dim, g.ellipsis)
			}
		case colToken:
			m.tokenCell(b, st.Token, c, now)
		case colMessage:
			p := paint{}
			if st.Last.Status == probe.StatusSkipped {
				p = s.dim
			}
			cell(b, message(&st.Last), c, p, g.ellipsis)
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
	long, short, st := tokenText(t, now, m.glyphs)
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
