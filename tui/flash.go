package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mcpwatch/mcpwatch/probe"
)

// flashFor is how long a finished flash line stays.
const flashFor = 5 * time.Second

// flash is a one-line note in the footer: what a recheck found, or that a
// reason was copied. While a recheck runs it says so and waits for the
// result; then it stays for flashFor.
type flash struct {
	text  string
	bad   bool      // painted as a failure
	until time.Time // when a finished flash goes; zero while it waits
	// wait holds the servers whose new results it waits for, with the start
	// time of the result each had when the recheck was asked.
	wait map[string]time.Time
	all  bool // the wait is for a recheck of every server
}

func (m *Model) setFlash(text string, bad bool) {
	m.flash = flash{text: text, bad: bad, until: m.now().Add(flashFor)}
}

// flashRecheck starts waiting for the new results of the servers in wait:
// name's alone, or every server's.
func (m *Model) flashRecheck(name string, wait map[string]time.Time, all bool) {
	text := "rechecking " + clean(name) + m.glyphs.ellipsis
	if all {
		text = fmt.Sprintf("rechecking %d servers%s", len(wait), m.glyphs.ellipsis)
	}
	m.flash = flash{text: text, wait: wait, all: all}
}

// resolveFlash looks in snap for the results a recheck flash waits for.
// It reads the newest snapshot even while paused: the recheck ran.
func (m *Model) resolveFlash(snap *probe.Snapshot) {
	if len(m.flash.wait) == 0 {
		return
	}
	var left map[string]time.Time
	var last *probe.ServerState
	for i := range snap.Servers {
		st := snap.Servers[i]
		before, ok := m.flash.wait[st.Name]
		if !ok {
			continue
		}
		if st.Checking || st.Last.Started.Equal(before) {
			if left == nil {
				left = map[string]time.Time{}
			}
			left[st.Name] = before
			continue
		}
		last = st
	}
	if len(left) > 0 {
		if len(left) < len(m.flash.wait) {
			m.flash.wait = left // a copy: earlier models keep theirs
		}
		return
	}
	f := flash{until: m.now().Add(flashFor)}
	switch {
	case m.flash.all:
		f.text = fmt.Sprintf("rechecked %d servers: %s", len(m.flash.wait), statusSummary(snap, m.flash.wait))
	case last != nil:
		f.text = "rechecked " + clean(last.Name) + ": " + clean(string(last.Last.Status))
		if d := latency(last.Last.Total); d != "" {
			f.text += " in " + d
		}
		f.bad = last.Last.Status.Failing()
	default:
		f.text = "rechecked: the server left the configuration"
	}
	m.flash = f
}

// statusSummary counts the statuses of the named servers in snap, in
// severity order: "1 auth_error, 7 healthy".
func statusSummary(snap *probe.Snapshot, names map[string]time.Time) string {
	var counts [len(probe.Statuses) + 1]int
	for i := range snap.Servers {
		if _, ok := names[snap.Servers[i].Name]; ok {
			counts[min(snap.Servers[i].Last.Status.Severity(), len(counts)-1)]++
		}
	}
	var parts []string
	for i, st := range probe.Statuses {
		if counts[i] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[i], st))
		}
	}
	if n := counts[len(probe.Statuses)]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d other", n))
	}
	return strings.Join(parts, ", ")
}

// expireFlash clears a finished flash once its time is up.
func (m *Model) expireFlash() {
	if m.flash.text != "" && !m.flash.until.IsZero() && !m.now().Before(m.flash.until) {
		m.flash = flash{}
	}
}

// copyReason puts the selected server's reason and URL on the clipboard of
// the terminal the dashboard draws on (OSC 52: over SSH that is the
// viewer's own terminal).
func (m *Model) copyReason() tea.Cmd {
	st := m.selectedState()
	if st == nil {
		return nil
	}
	head := clean(st.Name) + " " + clean(string(st.Last.Status))
	if r := m.reasonText(st); r != "" {
		head += ": " + r
	}
	m.setFlash("copied the reason and URL of "+clean(st.Name)+" to the clipboard", false)
	return tea.SetClipboard(head + "\n" + clean(st.URL) + "\n")
}
