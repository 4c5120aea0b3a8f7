package tui

import (
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// pauseState freezes the screen: the rows, the clock they are drawn with and
// the order stay as they were, while the pool goes on probing. The newest
// snapshot is kept aside and only counted, so the header can say how many
// results wait; resuming shows it.
type pauseState struct {
	on      bool
	at      time.Time       // the clock the frozen screen is drawn with
	live    *probe.Snapshot // the newest snapshot read since pausing, or nil
	waiting int             // results in live that the screen does not show
}

func (m *Model) togglePause() {
	if !m.pause.on {
		m.pause = pauseState{on: true, at: m.clock()}
		return
	}
	live := m.pause.live
	m.pause = pauseState{}
	if live != nil {
		m.snap = live
		m.resolvePending()
		m.rebuild()
	}
}

// newResults counts the checks completed in next that shown does not show.
// Servers are matched by position first (a reload seldom moves them), then
// by name; a server that is new since counts its completed checks.
func newResults(shown, next *probe.Snapshot) int {
	var byName map[string]uint64
	n := 0
	for i := range next.Servers {
		st := next.Servers[i]
		var before uint64
		switch {
		case i < len(shown.Servers) && shown.Servers[i].Name == st.Name:
			before = shown.Servers[i].Checks
		default:
			if byName == nil {
				byName = make(map[string]uint64, len(shown.Servers))
				for j := range shown.Servers {
					byName[shown.Servers[j].Name] = shown.Servers[j].Checks
				}
			}
			before = byName[st.Name]
		}
		if st.Checks > before {
			n += int(st.Checks - before)
		}
	}
	return n
}
