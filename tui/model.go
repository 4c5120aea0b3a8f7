// Package tui is the mcpwatch dashboard: a Bubble Tea program that polls
// probe snapshots on a tick and draws a table of servers, a detail view of
// one server, and help. It never receives one message per probe result, so
// its cost does not grow with how many servers answer or how fast; a frame
// formats only the rows on screen.
package tui

import (
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mcpwatch/mcpwatch/probe"
)

// Source is what the dashboard reads and pokes: a probe.Pool, or a fake.
type Source interface {
	Snapshot() *probe.Snapshot
	Recheck(name string) bool
	RecheckAll()
}

// pollEvery is how often the model reads a snapshot: often enough that a
// recheck shows promptly, rare enough to cost nothing when idle.
const pollEvery = 250 * time.Millisecond

// versioned is a Source that can say cheaply whether anything changed
// (probe.Pool does); polling then costs nothing while the fleet is quiet.
type versioned interface{ Version() uint64 }

type mode int

const (
	modeTable        mode = iota
	modeDetail            // one server, full page
	modeFilter            // typing a filter over the table
	modeEvents            // the fleet's timeline, full page
	modeEventsFilter      // typing a filter over the events
	modeConfig            // the refused config edit's problems, full page
)

// tickMsg asks for a poll. It carries the id of the model that scheduled it,
// so a tick meant for another model is dropped rather than starting a second
// poll loop.
type tickMsg struct{ model uint64 }

var modelIDs atomic.Uint64

// Model is the dashboard. It implements tea.Model.
type Model struct {
	id   uint64
	src  Source
	opts Options
	now  func() time.Time
	// The large parts sit behind pointers: Bubble Tea boxes the model
	// Update returns, and the whole struct, 25 KB, was a quarter of what
	// ten SSH viewers allocated. keys and styles are never changed; input
	// and help are copied before a change (ownInput, ownHelp), so earlier
	// copies of the model keep theirs.
	keys     *KeyMap
	glyphs   glyphs
	styles   *styles
	isDark   bool
	help     *help.Model
	helpMemo *helpMemo  // shared by copies of the model; see helpViews
	frame    *frameMemo // shared by copies of the model (frame.go)
	frameGen uint64     // moves with every change Update makes (frame.go)
	input    *textinput.Model

	width, height int
	mode          mode

	snap   *probe.Snapshot
	counts [len(probe.Statuses) + 1]int // shown servers per probe.Statuses index; the last slot is statuses this build does not know
	warned int                          // shown servers with a warning
	all    *sortedFleet                 // every server, sorted; shared with other dashboards (sorted.go): read only
	rows   []row                        // the servers shown, filtered and sorted; read only (it may be all.rows)
	// fleetNameWidth is the widest name in the whole fleet, filter or not,
	// so that the columns stay put while the filter changes.
	fleetNameWidth int

	cursor, offset int    // selected row and first row on screen
	selected       string // name under the cursor
	// follow: the cursor follows selected through re-sorts. Until the first
	// key press it stays on the first row, watching whatever is worst.
	follow bool
	scroll int  // first body line of a full page (detail, events, config)
	back   mode // where esc from the events or config page goes

	sortBy      sortKey
	reverse     bool
	failingOnly bool
	filter      string

	// pending holds servers we asked to recheck, with the start time of the
	// result they had then; each shows "checking…" until a snapshot shows it
	// checking or a different result.
	pending map[string]time.Time

	pause   pauseState
	flash   flash
	hist    historyView
	eFilter string        // the events view's filter
	eShown  []probe.Event // the events the filter keeps, newest first
}

// New builds a dashboard over src. It reads one snapshot at once so that the
// first frame has data.
func New(src Source, opts Options) Model {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	g := newGlyphs(opts.ASCII)
	m := Model{
		id:      modelIDs.Add(1),
		src:     src,
		opts:    opts,
		now:     now,
		keys:    new(DefaultKeyMap(opts.ASCII)),
		glyphs:  g,
		isDark:  true, // until the terminal answers
		width:   80,
		height:  24,
		pending: map[string]time.Time{},
	}
	h, in := help.New(), textinput.New()
	m.help, m.input = &h, &in
	m.help.Ellipsis = g.ellipsis
	m.help.ShortSeparator = " " + g.sep + " "
	m.help.SetWidth(m.width)
	m.input.Prompt = "/ "
	m.input.Placeholder = "name or tag"
	m.input.CharLimit = 200
	m.input.SetVirtualCursor(false) // the terminal's cursor: no blink ticks, nothing redrawn
	m.applyStyles()
	m.frame = &frameMemo{}
	m.changed()
	m.snap = src.Snapshot()
	if m.snap == nil {
		m.snap = &probe.Snapshot{}
	}
	m.rebuild()
	return m
}

// own makes *p a copy of its own and returns it to change: ownInput for the
// filter line, ownHelp for the help.
func own[T any](p **T) *T {
	c := **p
	*p = &c
	return *p
}

func (m *Model) ownInput() *textinput.Model { return own(&m.input) }

// typeInto hands msg to the filter line (a copy of its own, as own makes)
// and applies what is typed.
func (m *Model) typeInto(msg tea.Msg) tea.Cmd {
	in, cmd := m.input.Update(msg)
	m.input = &in
	m.applyTyped()
	return cmd
}

func (m *Model) ownHelp() *help.Model { return own(&m.help) }

func (m *Model) applyStyles() {
	m.styles = new(newStyles(m.isDark, m.opts.useColor()))
	m.ownHelp().Styles = m.styles.help
	m.helpMemo = &helpMemo{views: map[helpKey][2][]string{}}
	m.ownInput().SetStyles(m.styles.input)
}

// Init asks the terminal for its background colour (the answer arrives as a
// message through the program's own input, which over SSH is the client's
// terminal) and starts polling.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.tick())
}

func (m Model) tick() tea.Cmd {
	id := m.id
	return tea.Tick(pollEvery, func(time.Time) tea.Msg { return tickMsg{model: id} })
}

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, tick := msg.(tickMsg); !tick {
		m.changed() // a key, a resize, a colour answer: anything may look different
	}
	switch msg := msg.(type) {
	case tickMsg:
		if msg.model != m.id {
			return m, nil
		}
		before := m.tickMark()
		m.poll()
		m.pollHistory()
		m.expireFlash()
		if m.tickMark() != before {
			m.changed()
		}
		return m, m.tick()
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 1), max(msg.Height, 1)
		m.ownHelp().SetWidth(m.width)
		m.ownInput().SetWidth(max(m.width-width(m.input.Prompt)-1, 1))
		m.keepCursorVisible()
		return m, nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.applyStyles()
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	if m.typing() { // pastes and the like
		cmd := m.typeInto(msg)
		return m, cmd
	}
	return m, nil
}

// poll reads a snapshot and rebuilds the rows only when it changed. Clocks
// on screen (ages, countdowns) are derived from now when drawing, so an
// unchanged snapshot needs no work at all. While paused, the newest snapshot
// is kept aside and only counted.
func (m *Model) poll() {
	latest := m.snap
	if m.pause.on && m.pause.live != nil {
		latest = m.pause.live
	}
	if v, ok := m.src.(versioned); ok && v.Version() == latest.Version {
		return // nothing changed: skip copying the pool's state
	}
	snap := sharedSnapshot(m.src) // shared.go
	if snap == nil || snap.Version == latest.Version && snap.Source == latest.Source && len(snap.Servers) == len(latest.Servers) {
		return
	}
	m.resolveFlash(snap)
	if m.pause.on {
		m.pause.live = snap
		m.pause.waiting = newResults(m.snap, snap)
		return
	}
	m.snap = snap
	m.resolvePending()
	m.rebuild()
}
