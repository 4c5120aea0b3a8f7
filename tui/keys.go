package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the dashboard answers to. It feeds the help view too:
// a binding's help text is written once, here. Each model owns its copy.
type KeyMap struct {
	Up, Down         key.Binding
	PageUp, PageDown key.Binding
	Top, Bottom      key.Binding
	Open, Back       key.Binding
	Recheck          key.Binding
	RecheckAll       key.Binding
	Failing          key.Binding
	Filter           key.Binding
	ApplyFilter      key.Binding
	ClearFilter      key.Binding
	Sort             key.Binding
	Reverse          key.Binding
	Pause            key.Binding
	Events           key.Binding
	Copy             key.Binding
	Accept           key.Binding // pin the current inventory (detail view)
	Config           key.Binding // the config problems page, while a config edit is refused
	Help             key.Binding
	Quit             key.Binding
	Interrupt        key.Binding // ctrl+c: quits even while typing a filter
}

// DefaultKeyMap is the dashboard's keys; ascii labels the arrows in words.
func DefaultKeyMap(ascii bool) KeyMap {
	up, down := "↑/k", "↓/j"
	if ascii {
		up, down = "up/k", "down/j"
	}
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp(up, "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp(down, "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first")),
		Bottom:   key.NewBinding(key.WithKeys("G", "shift+g", "end"), key.WithHelp("G", "last")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		// alt+esc too: two quick Escs (one packet over SSH) arrive as alt+esc.
		Back:        key.NewBinding(key.WithKeys("esc", "alt+esc"), key.WithHelp("esc", "back")),
		Recheck:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "recheck")),
		RecheckAll:  key.NewBinding(key.WithKeys("R", "shift+r"), key.WithHelp("R", "recheck all")),
		Failing:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "failing only")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ApplyFilter: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		ClearFilter: key.NewBinding(key.WithKeys("esc", "alt+esc"), key.WithHelp("esc", "clear")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Reverse:     key.NewBinding(key.WithKeys("S", "shift+s"), key.WithHelp("S", "reverse sort")),
		Pause:       key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Events:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "events")),
		Copy:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy reason")),
		Accept:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "accept inventory")),
		Config:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "config problems")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Interrupt:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// ShortHelp is the one-line help under the table, worded to fit 80 columns;
// '?' lists the rest.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Back, k.ApplyFilter, k.ClearFilter, k.Recheck,
		k.Events, terse(k.Failing, "failing"), k.Filter, k.Pause, k.Help, k.Quit, k.Interrupt}
}

// terse is b with a shorter description, for the one-line help.
func terse(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// FullHelp is the help shown by '?', in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Back, k.Recheck, k.RecheckAll, k.Copy, k.Events, k.Accept},
		{k.Failing, k.Filter, k.ApplyFilter, k.ClearFilter, k.Sort, k.Reverse},
		{k.Pause, k.Config, k.Help, k.Quit, k.Interrupt},
	}
}

// forMode returns a copy whose bindings that mean nothing in mode are
// disabled, so that help lists only what works where the user is.
// filterActive is whether the page's filter is set; configError whether
// there is a config problem to show.
func (k KeyMap) forMode(md mode, filterActive, configError bool) KeyMap {
	off := func(bs ...*key.Binding) {
		for _, b := range bs {
			b.SetEnabled(false)
		}
	}
	if md != modeDetail {
		off(&k.Accept)
	}
	switch md {
	case modeFilter, modeEventsFilter:
		off(&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom, &k.Open, &k.Back,
			&k.Recheck, &k.RecheckAll, &k.Failing, &k.Filter, &k.Sort, &k.Reverse, &k.Pause,
			&k.Events, &k.Copy, &k.Config, &k.Help, &k.Quit)
	case modeDetail:
		off(&k.Open, &k.Failing, &k.Filter, &k.ApplyFilter, &k.ClearFilter, &k.Sort, &k.Reverse, &k.Interrupt)
	case modeEvents:
		off(&k.Open, &k.Recheck, &k.Failing, &k.ApplyFilter, &k.Sort, &k.Reverse, &k.Copy, &k.Events, &k.Interrupt)
		if filterActive {
			off(&k.Back) // esc clears the filter first
		} else {
			off(&k.ClearFilter)
		}
	case modeConfig:
		off(&k.Open, &k.Recheck, &k.Failing, &k.Filter, &k.ApplyFilter, &k.ClearFilter, &k.Sort, &k.Reverse,
			&k.Copy, &k.Config, &k.Interrupt)
	default:
		// Outside the filter line q quits and its help already names ctrl+c's job.
		off(&k.Back, &k.ApplyFilter, &k.Interrupt)
		if !filterActive {
			off(&k.ClearFilter)
		}
	}
	if !configError {
		off(&k.Config)
	}
	return k
}
