package tui

import (
	"maps"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.typing() {
		return m.filterKey(msg)
	}
	// From the first key on, the cursor stays on the server it is on
	// whatever the re-sorts; before that it watches the first row.
	m.follow = true
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.ownHelp().ShowAll = !m.help.ShowAll
		m.keepCursorVisible()
		return m, nil
	case key.Matches(msg, k.Pause):
		m.togglePause()
		return m, nil
	case key.Matches(msg, k.RecheckAll):
		m.recheckAll()
		return m, nil
	case key.Matches(msg, k.Config) && m.snap.ConfigError != "" && m.mode != modeConfig:
		m.openPage(modeConfig)
		return m, nil
	}
	switch m.mode {
	case modeDetail:
		return m.detailKey(msg)
	case modeEvents:
		return m.eventsKey(msg)
	case modeConfig:
		if key.Matches(msg, k.Back) {
			m.closePage()
		} else {
			m.scrollKey(msg)
		}
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
			m.mode, m.scroll = modeDetail, 0
			m.readHistory()
		}
	case key.Matches(msg, k.Recheck):
		m.recheck(m.selected)
	case key.Matches(msg, k.Copy):
		return m, m.copyReason()
	case key.Matches(msg, k.Events):
		m.openPage(modeEvents)
	case key.Matches(msg, k.ClearFilter):
		m.setFilter("")
	case key.Matches(msg, k.Failing):
		m.failingOnly = !m.failingOnly
		m.rebuild()
	case key.Matches(msg, k.Sort):
		m.sortBy = (m.sortBy + 1) % sortKeys
		m.reverse = false
		m.rebuild()
	case key.Matches(msg, k.Reverse):
		m.reverse = !m.reverse
		m.rebuild()
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		in := m.ownInput()
		in.SetValue(m.filter)
		in.CursorEnd()
		m.keepCursorVisible()
		return m, in.Focus()
	}
	return m, nil
}

// typing reports whether keys go to the filter line.
func (m *Model) typing() bool { return m.mode == modeFilter || m.mode == modeEventsFilter }

// filterKey handles typing in a filter line, the table's or the events
// view's. The page follows as you type; enter keeps the filter and leaves
// the line, esc clears it.
func (m Model) filterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	page := modeTable
	if m.mode == modeEventsFilter {
		page = modeEvents
	}
	switch {
	case key.Matches(msg, k.Interrupt):
		return m, tea.Quit
	case key.Matches(msg, k.ApplyFilter):
		m.ownInput().Blur()
		m.mode = page
		m.applyTyped()
		return m, nil
	case key.Matches(msg, k.ClearFilter):
		in := m.ownInput()
		in.Blur()
		in.Reset()
		m.mode = page
		m.applyTyped()
		return m, nil
	}
	cmd := m.typeInto(msg)
	return m, cmd
}

// applyTyped sets the filter of the page the filter line belongs to.
func (m *Model) applyTyped() {
	if m.mode == modeEventsFilter || m.mode == modeEvents {
		m.setEventFilter(m.input.Value())
		return
	}
	m.setFilter(m.input.Value())
}

func (m Model) detailKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode, m.scroll = modeTable, 0
		m.restoreCursor()
	case key.Matches(msg, k.Recheck):
		m.recheck(m.selected)
	case key.Matches(msg, k.Copy):
		return m, m.copyReason()
	case key.Matches(msg, k.Accept):
		m.acceptInventory()
	case key.Matches(msg, k.Events):
		m.openPage(modeEvents)
	default:
		m.scrollKey(msg)
	}
	return m, nil
}

func (m Model) eventsKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back) && m.eFilter != "":
		m.ownInput().Reset()
		m.setEventFilter("")
	case key.Matches(msg, k.Back):
		m.closePage()
	case key.Matches(msg, k.Filter):
		m.mode = modeEventsFilter
		in := m.ownInput()
		in.SetValue(m.eFilter)
		in.CursorEnd()
		return m, in.Focus()
	default:
		m.scrollKey(msg)
	}
	return m, nil
}

// openPage opens a full page (events, config problems) over the table or
// the detail view; esc returns there.
func (m *Model) openPage(md mode) {
	if m.mode == modeTable || m.mode == modeDetail {
		m.back = m.mode
	}
	m.mode, m.scroll = md, 0
	m.readHistory()
}

func (m *Model) closePage() {
	m.mode, m.scroll = m.back, 0
	if m.mode == modeDetail {
		m.readHistory()
		return
	}
	m.restoreCursor()
}

// scrollKey moves a full page.
func (m *Model) scrollKey(msg tea.KeyPressMsg) {
	k := m.keys
	page := max(m.pageHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		m.scrollTo(m.scroll - 1)
	case key.Matches(msg, k.Down):
		m.scrollTo(m.scroll + 1)
	case key.Matches(msg, k.PageUp):
		m.scrollTo(m.scroll - page)
	case key.Matches(msg, k.PageDown):
		m.scrollTo(m.scroll + page)
	case key.Matches(msg, k.Top):
		m.scrollTo(0)
	case key.Matches(msg, k.Bottom):
		m.scrollTo(m.pageLen())
	}
}

func (m *Model) scrollTo(to int) {
	m.scroll = min(max(to, 0), max(m.pageLen()-m.pageHeight(), 0))
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

// recheck asks the source to check name now, shows it as checking until a
// snapshot says what happened, and says what it found in the flash line.
func (m *Model) recheck(name string) {
	if m.refuseReadOnly() { // readonly.go
		return
	}
	if name == "" || !m.src.Recheck(name) {
		return
	}
	forgetShared(m.src)
	started := time.Time{}
	if st := m.selectedState(); st != nil && st.Name == name {
		m.markPending(name, st.Last.Started)
		started = st.Last.Started
	}
	// Wait on the newest result known, which a paused screen may not show.
	if live := m.pause.live; live != nil {
		for i := range live.Servers {
			if live.Servers[i].Name == name {
				started = live.Servers[i].Last.Started
			}
		}
	}
	m.flashRecheck(name, map[string]time.Time{name: started}, false)
}

// recheckAll asks for every server. The pending map is replaced, never
// written to: earlier copies of the model must not change under their holder.
func (m *Model) recheckAll() {
	if m.refuseReadOnly() {
		return
	}
	m.src.RecheckAll()
	forgetShared(m.src)
	next := make(map[string]time.Time, len(m.snap.Servers))
	for i := range m.snap.Servers {
		st := m.snap.Servers[i]
		next[st.Name] = st.Last.Started
	}
	m.pending = next
	wait := next
	if live := m.pause.live; live != nil {
		wait = make(map[string]time.Time, len(live.Servers))
		for i := range live.Servers {
			wait[live.Servers[i].Name] = live.Servers[i].Last.Started
		}
	}
	m.flashRecheck("", wait, true)
}

func (m *Model) markPending(name string, started time.Time) {
	next := maps.Clone(m.pending)
	if next == nil {
		next = map[string]time.Time{}
	}
	next[name] = started
	m.pending = next
}
