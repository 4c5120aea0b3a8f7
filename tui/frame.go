package tui

import (
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mcpwatch/mcpwatch/probe"
)

// Bubble Tea draws after every message, and the dashboard ticks four times a
// second to notice rechecks promptly; with ten SSH viewers of 10,000 servers
// that was forty frames a second formatted to find nothing new. A frame is
// kept while nothing it is drawn from moved: no message but an idle tick, and
// the same second on the clock (ages and countdowns are drawn from it).

// frameGens numbers model changes across every model, so that two copies of
// a model changed differently never share a number.
var frameGens atomic.Uint64

// frameMemo is the last frame drawn, shared by the copies of one model.
type frameMemo struct {
	mu   sync.Mutex
	key  frameKey
	view tea.View
	ok   bool
}

// frameKey is what the kept frame was drawn from: gen moves with every
// change Update makes; the rest guard changes made around it (tests and
// benchmarks move the cursor or poll directly).
type frameKey struct {
	gen            uint64
	clock          time.Time
	snap           *probe.Snapshot
	mode           mode
	cursor, offset int
	scroll         int
	width, height  int
	selected       string
	filter         string
	eFilter        string
	flash          string
	paused         bool
	sortBy         sortKey
	reverse        bool
	failingOnly    bool
}

func (m *Model) frameKey() frameKey {
	return frameKey{gen: m.frameGen, clock: m.clock(), snap: m.snap, mode: m.mode, cursor: m.cursor, offset: m.offset,
		scroll: m.scroll, width: m.width, height: m.height, selected: m.selected, filter: m.filter, eFilter: m.eFilter,
		flash: m.flash.text, paused: m.pause.on, sortBy: m.sortBy, reverse: m.reverse, failingOnly: m.failingOnly}
}

// changed marks the model as changed: the next View draws afresh.
func (m *Model) changed() { m.frameGen = frameGens.Add(1) }

// tickMark is what a tick can change: the snapshots, what History said, the flash.
type tickMark struct {
	snap, live  *probe.Snapshot
	waiting     int
	histVersion uint64
	histRead    bool
	histEvents  int
	flashText   string
	flashUntil  time.Time
}

func (m *Model) tickMark() tickMark {
	return tickMark{snap: m.snap, live: m.pause.live, waiting: m.pause.waiting, histVersion: m.hist.version, histRead: m.hist.read,
		histEvents: len(m.eShown), flashText: m.flash.text, flashUntil: m.flash.until}
}
