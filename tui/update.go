package tui

import (
	"maps"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.mode == modeFilter {
		return m.filterKey(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.keepCursorVisible()
		return m, nil
	case key.Matches(msg, k.RecheckAll):
		m.recheckAll()
		return m, nil
	case key.Matches(msg, k.Recheck):
		m.recheck(m.selected)
		return m, nil
	}
	if m.mode == modeDetail {
		m.detailKey(msg)
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		m.moveTo(m.cursor - 1)
	case key.Matches(msg, k.Down):
		m.moveTo(m.cursor + 1)
	case key.Matches(msg, k.PageUp):
		m.moveTo(m.cursor - m.tableHeight())
	case key.Matches(msg, k.PageDown):
		m.moveTo(m.cursor + m.tableHeight())
	case key.Matches(msg, k.Top):
		m.moveTo(0)
	case key.Matches(msg, k.Bottom):
		m.moveTo(len(m.rows) - 1)
	case key.Matches(msg, k.Open):
		if m.selected != "" {
			m.mode, m.detailScroll = modeDetail, 0
		}
	case key.Matches(msg, k.ClearFilter):
		m.setFilter("")
	case key.Matches(msg, k.Failing):
		m.failingOnly = !m.failingOnly
		m.rebuild()
	case key.Matches(msg, k.Sort):
		m.sortBy = (m.sortBy + 1) % sortKeys
		m.rebuild()
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.input.SetValue(m.filter)
		m.input.CursorEnd()
		m.keepCursorVisible()
		return m, m.input.Focus()
	}
	return m, nil
}

// filterKey handles typing in the filter line. The table follows as you
// type; enter keeps the filter and leaves the line, esc clears it.
func (m Model) filterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Interrupt):
		return m, tea.Quit
	case key.Matches(msg, k.ApplyFilter):
		m.input.Blur()
		m.mode = modeTable
		m.setFilter(m.input.Value())
		return m, nil
	case key.Matches(msg, k.ClearFilter):
		m.input.Blur()
		m.input.Reset()
		m.mode = modeTable
		m.setFilter("")
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.setFilter(m.input.Value())
	return m, cmd
}

func (m *Model) detailKey(msg tea.KeyPressMsg) {
	k := m.keys
	page := max(m.detailHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeTable
		m.restoreCursor()
	case key.Matches(msg, k.Up):
		m.scrollDetail(m.detailScroll - 1)
	case key.Matches(msg, k.Down):
		m.scrollDetail(m.detailScroll + 1)
	case key.Matches(msg, k.PageUp):
		m.scrollDetail(m.detailScroll - page)
	case key.Matches(msg, k.PageDown):
		m.scrollDetail(m.detailScroll + page)
	case key.Matches(msg, k.Top):
		m.scrollDetail(0)
	case key.Matches(msg, k.Bottom):
		m.scrollDetail(len(m.detailLines()))
	}
}

func (m *Model) scrollDetail(to int) {
	m.detailScroll = min(max(to, 0), max(len(m.detailLines())-m.detailHeight(), 0))
}

func (m *Model) setFilter(f string) {
	if f == m.filter {
		return
	}
	m.filter = f
	m.rebuild()
}

func (m *Model) moveTo(i int) {
	if len(m.rows) == 0 {
		return
	}
	m.cursor = min(max(i, 0), len(m.rows)-1)
	m.selected = m.rows[m.cursor].name
	m.follow = m.cursor > 0
	m.keepCursorVisible()
}

// keepCursorVisible scrolls the table as little as needed to show the cursor
// and never past the last row.
func (m *Model) keepCursorVisible() {
	h := max(m.tableHeight(), 1)
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = min(max(m.offset, 0), max(len(m.rows)-h, 0))
}

// recheck asks the source to check name now, and shows it as checking until
// a snapshot says what happened.
func (m *Model) recheck(name string) {
	if name == "" || !m.src.Recheck(name) {
		return
	}
	if st := m.selectedState(); st != nil && st.Name == name {
		m.markPending(name, st.Last.Started)
	}
}

// recheckAll asks for every server. The pending map is replaced, never
// written to: earlier copies of the model must not change under their holder.
func (m *Model) recheckAll() {
	m.src.RecheckAll()
	next := make(map[string]time.Time, len(m.snap.Servers))
	for i := range m.snap.Servers {
		st := &m.snap.Servers[i]
		next[st.Name] = st.Last.Started
	}
	m.pending = next
}

func (m *Model) markPending(name string, started time.Time) {
	next := maps.Clone(m.pending)
	if next == nil {
		next = map[string]time.Time{}
	}
	next[name] = started
	m.pending = next
}
