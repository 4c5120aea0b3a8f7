package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// View draws the dashboard. Between two ticks with no new snapshot and the
// same second on the clock it returns the same content, so the renderer has
// nothing to send.
func (m Model) View() tea.View {
	k := m.frameKey()
	if f := m.frame; f != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.ok && f.key == k {
			return f.view
		}
	}
	content, cursor := m.render()
	v := tea.NewView(content)
	v.AltScreen = true
	v.WindowTitle = "mcpwatch"
	v.Cursor = cursor
	if f := m.frame; f != nil {
		f.key, f.view, f.ok = k, v, true
	}
	return v
}

// render is the frame as text, and the terminal cursor when the filter line
// is being edited.
func (m Model) render() (string, *tea.Cursor) {
	var lines []string
	inputLine := -1
	switch m.mode {
	case modeDetail, modeConfig, modeEvents, modeEventsFilter:
		lines, inputLine = m.pageView()
	default:
		lines, inputLine = m.tableView()
	}
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	var cur *tea.Cursor
	if inputLine >= 0 && inputLine < len(lines) {
		if cur = m.input.Cursor(); cur != nil {
			cur.Position.Y += inputLine
			cur.Position.X = min(cur.Position.X, m.width-1)
		}
	}
	return strings.Join(lines, "\n"), cur
}

// fitLine cuts a styled line to the terminal width.
func (m *Model) fitLine(s string) string {
	// No character takes more cells than bytes: a short line needs no
	// measuring (most detail lines), which is the costly part.
	if len(s) <= m.width || ansi.StringWidth(s) <= m.width {
		return s
	}
	return ansi.Truncate(s, m.width, m.glyphs.ellipsis)
}

// fitLeft keeps the end of s (a path's file name matters most) within w cells.
func fitLeft(s string, w int, ellipsis string) string {
	sw := width(s)
	if sw <= w {
		return s
	}
	if w <= width(ellipsis) {
		return ""
	}
	return ansi.TruncateLeft(s, sw-w+width(ellipsis), ellipsis)
}

// titleLine is the product name and config source on the left, state on
// the right; the source gives way first.
func (m *Model) titleLine(right string) string {
	s := m.styles
	rw := ansi.StringWidth(right)
	if rw > m.width {
		return m.fitLine(right)
	}
	const name = "mcpwatch"
	left := s.title.render(name)
	lw := len(name)
	if lw+2+rw > m.width {
		left, lw = "", 0
	}
	if src := clean(m.snap.Source); src != "" && lw > 0 {
		room := m.width - lw - 2 - rw - 2
		if src = fitLeft(src, room, m.glyphs.ellipsis); src != "" {
			left += "  " + s.dim.render(src)
			lw += 2 + width(src)
		}
	}
	if rw == 0 {
		return left
	}
	var b strings.Builder
	b.WriteString(left)
	spaces(&b, m.width-lw-rw)
	b.WriteString(right)
	return b.String()
}

// tableState is the right side of the title: pause, sort, filters and
// position.
func (m *Model) tableState() string {
	s := m.styles
	var parts []string
	if p := m.pauseText(); p != "" {
		parts = append(parts, p)
	}
	sort := "sort: " + s.accent.render(m.sortBy.String())
	if m.reverse {
		sort += s.accent.render(", reversed")
	}
	parts = append(parts, sort)
	if m.failingOnly {
		parts = append(parts, s.warn.render("failing only"))
	}
	if m.filter != "" {
		parts = append(parts, "filter: "+s.accent.render(clean(m.filter)))
	}
	pos := 0
	if len(m.rows) > 0 {
		pos = m.cursor + 1
	}
	parts = append(parts, fmt.Sprintf("%d/%d", pos, len(m.rows)))
	return strings.Join(parts, "  ")
}

// pauseText says the screen is paused and how many results wait, or "".
func (m *Model) pauseText() string {
	if !m.pause.on {
		return ""
	}
	text := "PAUSED"
	switch n := m.pause.waiting; n {
	case 0:
	case 1:
		text += ", 1 result waiting"
	default:
		text += ", " + strconv.Itoa(n) + " results waiting"
	}
	return m.styles.warn.render(text)
}

// countsLine is the number of servers shown per status, in severity order,
// and how many of them warn; with a filter, first how many of the fleet are
// shown. As the terminal narrows it tightens the spacing, then drops the
// words of the zero counts, then those of the statuses that need no look,
// then all words.
func (m *Model) countsLine() string {
	type item struct {
		glyph, n, word string
		p              paint
		zero, look     bool
	}
	items := make([]item, 0, len(probe.Statuses)+2)
	for i, st := range probe.Statuses {
		p := m.styles.dim
		if m.counts[i] > 0 {
			p = m.styles.forStatus(st)
		}
		items = append(items, item{m.glyphs.statusGlyph(st), strconv.Itoa(m.counts[i]), string(st), p, m.counts[i] == 0, failingish(st)})
	}
	if n := m.counts[len(probe.Statuses)]; n > 0 {
		items = append(items, item{m.glyphs.statusGlyph(probe.StatusUnknown), strconv.Itoa(n), "other", m.styles.dim, false, false})
	}
	wp := m.styles.dim
	if m.warned > 0 {
		wp = m.styles.warn
	}
	word := "warning"
	if m.warned != 1 {
		word = "warnings"
	}
	items = append(items, item{m.glyphs.warning, strconv.Itoa(m.warned), word, wp, m.warned == 0, true})
	lead := ""
	if len(m.rows) != len(m.snap.Servers) || m.filter != "" || m.failingOnly {
		lead = fmt.Sprintf("%d of %d:", len(m.rows), len(m.snap.Servers))
	}
	const (
		allWords = iota
		nonZero  // words for the counts that are not zero
		lookOnly // words for the non-zero counts that need a look
		noWords
	)
	layouts := []struct {
		words      int
		inner, gap string
	}{
		{allWords, " ", "   "}, {allWords, " ", "  "}, {allWords, "", "  "}, {allWords, "", " "},
		{nonZero, "", "  "}, {nonZero, "", " "}, {lookOnly, "", "  "}, {lookOnly, "", " "},
		{noWords, "", "  "}, {noWords, "", " "},
	}
	for li, l := range layouts {
		worded := func(it item) bool {
			return l.words == allWords || l.words == nonZero && !it.zero || l.words == lookOnly && !it.zero && it.look
		}
		w := 0
		if lead != "" {
			w = len(lead) + len(l.gap)
		}
		for i, it := range items {
			if i > 0 {
				w += len(l.gap)
			}
			w += width(it.glyph) + len(l.inner) + len(it.n)
			if worded(it) {
				w += 1 + len(it.word)
			}
		}
		if w > m.width && li < len(layouts)-1 {
			continue
		}
		var b strings.Builder
		if lead != "" {
			b.WriteString(m.styles.header.render(lead))
			b.WriteString(l.gap)
		}
		for i, it := range items {
			if i > 0 {
				b.WriteString(l.gap)
			}
			b.WriteString(it.p.render(it.glyph + l.inner + it.n))
			if worded(it) {
				b.WriteString(" ")
				b.WriteString(it.word)
			}
		}
		if w <= m.width {
			return b.String()
		}
		return m.fitLine(b.String())
	}
	return ""
}

// footer is the config error, the status line (a flash, or under the table
// the selected server's reason), the filter line while typing, and the
// help, dropping the full help, then all help, when the terminal is too
// short for them and at least one line of content.
func (m *Model) footer(headerLines int) (lines []string, inputLine int) {
	inputLine = -1
	if e := m.snap.ConfigError; e != "" {
		lines = append(lines, m.configErrorLine(e))
	}
	if n := m.snap.Notice; n != "" {
		lines = append(lines, m.sourceNoticeLine(n)) // readonly.go
	}
	lines = append(lines, m.statusLine())
	if m.typing() {
		inputLine = len(lines)
		lines = append(lines, m.fitLine(m.input.View()))
	}
	short, full := m.helpViews()
	helpView := short
	if m.help.ShowAll && m.height-headerLines-len(lines)-len(full) >= 1 {
		helpView = full
	}
	if m.height-headerLines-len(lines)-1 < 1 {
		return lines, inputLine
	}
	return append(lines, helpView...), inputLine
}

// statusLine is the flash when there is one; under the table, the selected
// server's reason.
func (m *Model) statusLine() string {
	if f := m.flash; f.text != "" {
		p := m.styles.accent
		if f.bad {
			p = m.styles.bad
		}
		return m.fitLine(p.render(f.text))
	}
	if m.mode == modeTable || m.mode == modeFilter {
		return m.selectedLine()
	}
	return ""
}

// configErrorLine says that the newest config edit was not applied (the last
// good config keeps running) and why: how many problems, then the first one
// with its file:line:col, which is what fits on narrow terminals; c shows
// them all, whole.
func (m *Model) configErrorLine(e string) string {
	n := len(configProblems(e))
	first, _, _ := strings.Cut(e, "\n")
	what := "1 problem"
	if n > 1 {
		what = fmt.Sprintf("%d problems", n)
	}
	return m.fitLine(m.styles.forStatus(probe.StatusUnhealthy).render("config not applied (" + what + ", c shows all): " + clean(first)))
}

// helpMemo keeps the rendered help between frames: bubbles/help renders
// through lipgloss, which costs more than all the rows of a frame together,
// and its output changes only with the mode, the filter and the width.
type helpMemo struct {
	mu    sync.Mutex
	views map[helpKey][2][]string // short, full
}

type helpKey struct {
	mode         mode
	filterActive bool
	configError  bool
	width        int
}

// helpViews is the short and the full help for the current mode, cut to
// the width.
func (m *Model) helpViews() (short, full []string) {
	k := helpKey{m.mode, m.pageFilter() != "", m.snap.ConfigError != "", m.width}
	memo := m.helpMemo
	memo.mu.Lock()
	defer memo.mu.Unlock()
	if v, ok := memo.views[k]; ok {
		return v[0], v[1]
	}
	if len(memo.views) >= 16 { // resizing leaves old widths behind
		clear(memo.views)
	}
	keys := m.keys.forMode(m.mode, k.filterActive, k.configError)
	m.offerOnlyWhatWorks(&keys) // readonly.go
	h := *m.help                // a copy: the separator may be tightened below
	bs := keys.ShortHelp()
	if shortHelpWidth(bs, h.ShortSeparator) > m.width {
		h.ShortSeparator = "  " // tighter, so that all of it fits at 80 columns
	}
	if shortHelpWidth(bs, h.ShortSeparator) > m.width {
		// Still too wide: whatever else is cut, "? help" must not be.
		bs = append([]key.Binding{keys.Help, keys.Quit}, slices.DeleteFunc(bs, func(b key.Binding) bool {
			return b.Help() == keys.Help.Help() || b.Help() == keys.Quit.Help()
		})...)
	}
	fitAll := func(s string) []string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = m.fitLine(l)
		}
		return lines
	}
	short, full = fitAll(h.ShortHelpView(bs)), fitAll(h.FullHelpView(keys.FullHelp()))
	memo.views[k] = [2][]string{short, full}
	return short, full
}

// shortHelpWidth is the width of the short help when nothing is cut.
func shortHelpWidth(bs []key.Binding, sep string) int {
	w, n := 0, 0
	for _, b := range bs {
		if b.Enabled() {
			w += width(b.Help().Key) + 1 + width(b.Help().Desc)
			n++
		}
	}
	return w + max(n-1, 0)*width(sep)
}

// pageFilter is the filter of the page on screen.
func (m *Model) pageFilter() string {
	if m.mode == modeEvents || m.mode == modeEventsFilter {
		return m.eFilter
	}
	return m.filter
}

// tableHeight is how many rows the table shows.
func (m *Model) tableHeight() int {
	t := *m
	if t.mode != modeTable && t.mode != modeFilter { // the table's own footer, for when we return to it
		t.mode = modeTable
	}
	head := t.headerLines()
	f, _ := t.footer(head)
	return max(m.height-head-len(f), 0)
}

// clock is the time views draw with: now, whole seconds only, so that every
// age and countdown on screen changes together once a second and a frame is
// identical to the last one within the same second. A paused screen keeps
// the time it was paused at.
func (m *Model) clock() time.Time {
	if m.pause.on {
		return m.pause.at
	}
	return m.now().Truncate(time.Second)
}
