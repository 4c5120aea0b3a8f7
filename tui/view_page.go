package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// detailHeader is the title line of a full page.
const detailHeader = 1

// pageView draws a full page (the detail view, the events view, the config
// problems): its header, a window of its body (it scrolls), and the footer.
func (m *Model) pageView() (lines []string, inputLine int) {
	body, n := m.pageBody()
	head := m.pageHead()
	footer, inputLine := m.footer(len(head))
	h := max(m.height-len(head)-len(footer), 0)
	top := min(m.scroll, max(n-h, 0))

	right := m.pageState()
	if n > h && h > 0 {
		right = fmt.Sprintf("%d-%d/%d", top+1, min(top+h, n), n) + "  " + right
	}
	lines = make([]string, 0, m.height)
	lines = append(lines, m.pageTitle(strings.TrimSpace(right)))
	lines = append(lines, head[1:]...)
	if body != nil {
		lines = append(lines, body[top:min(top+h, n)]...)
	} else {
		lines = append(lines, m.eventWindow(top, min(top+h, n))...)
	}
	for len(lines) < len(head)+h {
		lines = append(lines, "")
	}
	if inputLine >= 0 {
		inputLine += len(lines)
	}
	return append(lines, footer...), inputLine
}

// pageHead is the page's header: a title line (drawn by pageView, here a
// placeholder), then whatever else stays put above the body.
func (m *Model) pageHead() []string {
	head := []string{""}
	if m.hist.notice != "" {
		head = append(head, m.noticeLine())
	}
	if m.mode == modeEvents || m.mode == modeEventsFilter {
		head = append(head, m.eventHeadings())
	}
	return head
}

// pageBody is the body of the page on screen and its length. The events
// view has no body here (nil): eventWindow formats only the lines on
// screen, of thousands.
func (m *Model) pageBody() ([]string, int) {
	switch m.mode {
	case modeEvents, modeEventsFilter:
		return nil, m.eventsLen()
	case modeConfig:
		l := m.configLines()
		return l, len(l)
	}
	l := m.detailLines()
	return l, len(l)
}

// pageLen is how many lines the body of the page on screen has.
func (m *Model) pageLen() int {
	_, n := m.pageBody()
	return n
}

// pageHeight is how many body lines the page shows.
func (m *Model) pageHeight() int {
	head := m.pageHead()
	f, _ := m.footer(len(head))
	return max(m.height-len(head)-len(f), 0)
}

// pageState is the right side of a page's title.
func (m *Model) pageState() string {
	var parts []string
	if p := m.pauseText(); p != "" {
		parts = append(parts, p)
	}
	switch m.mode {
	case modeEvents, modeEventsFilter:
		if m.eFilter != "" {
			parts = append(parts, "filter: "+m.styles.accent.render(clean(m.eFilter)))
		}
	case modeDetail:
		if st := m.selectedState(); st != nil {
			parts = append(parts, m.styles.forStatus(st.Last.Status).render(m.glyphs.statusGlyph(st.Last.Status)+" "+clean(string(st.Last.Status))))
		}
	}
	return strings.Join(parts, "  ")
}

// pageTitle is "mcpwatch › what" on the left and right on the right.
func (m *Model) pageTitle(right string) string {
	what := clean(m.selected)
	switch m.mode {
	case modeEvents, modeEventsFilter:
		what = "events"
	case modeConfig:
		what = "config problems"
	}
	left := m.styles.title.render("mcpwatch") + " " + m.glyphs.cursor + " "
	lw := len("mcpwatch") + 2 + width(m.glyphs.cursor)
	rw := ansi.StringWidth(right)
	name := fit(what, max(m.width-lw-rw-2, 0), m.glyphs.ellipsis)
	var b strings.Builder
	b.WriteString(left)
	b.WriteString(m.styles.header.render(name))
	spaces(&b, m.width-lw-width(name)-rw)
	b.WriteString(right)
	return m.fitLine(b.String())
}
