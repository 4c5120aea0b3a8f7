package tui

import tea "charm.land/bubbletea/v2"

// Latest wraps a dashboard for tea.NewProgram so that its first model does
// not live as long as the program. Bubble Tea keeps the model a program
// starts with until it ends; a dashboard's first model holds the snapshot it
// opened on, whose servers' states every later snapshot replaces, and that
// snapshot's sorted rows: for each SSH viewer of a 10,000-server fleet,
// megabytes of a sweep's first second, kept for the whole session. The
// wrapper holds the current model behind a pointer each update moves on.
// Bubble Tea calls Init, Update and View on its event loop only, so nothing
// reads the pointer while it moves.
func Latest(m tea.Model) tea.Model { return latest{cur: &m} }

type latest struct{ cur *tea.Model }

func (l latest) Init() tea.Cmd { return (*l.cur).Init() }

func (l latest) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := (*l.cur).Update(msg)
	*l.cur = next
	return l, cmd
}

func (l latest) View() tea.View { return (*l.cur).View() }
