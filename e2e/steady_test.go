package e2e

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// flapWait is how long to wait for ci-pipelines to change state: it is
// healthy for 20s, then unhealthy for 10s, over and over (demo/servers.go).
const flapWait = 75 * time.Second

// TestSteadyScreen drives what keeps the screen still under the operator at
// 80x24: y copies a reason and URL (OSC 52, into a tmux buffer here), the
// cursor stays on its server when a re-sort moves it, and p freezes the
// screen while probing goes on.
func TestSteadyScreen(t *testing.T) {
	t.Parallel()
	tm := startDemo(t, 80, 24)
	tm.waitFor("the first sweep to settle", func(s []string) bool { return isSettled(rows(s)) })

	// y: the selected server's reason and URL on the clipboard.
	tm.keys(true, "/")
	tm.keys(true, "payments")
	tm.keys(false, "Enter")
	tm.waitFor("the filter to leave only payments", func(s []string) bool {
		rs := rows(s)
		return len(rs) == 1 && rs["payments"].selected
	})
	tm.keys(true, "y")
	tm.waitFor("the copy to be confirmed", func(s []string) bool { return contains(s, "copied the reason and URL of payments") })
	buf := tm.tmux("show-buffer")
	if !strings.Contains(buf, "payments auth_error: token endpoint refused") || !strings.Contains(buf, "http://127.0.0.1:") {
		t.Errorf("clipboard (tmux buffer) = %q, want payments' reason and URL", buf)
	}
	tm.keys(false, "Escape")
	tm.waitFor("the filter to clear", func(s []string) bool { return len(rows(s)) == len(fleetNames) })

	// The cursor on ci-pipelines stays on it when its status changes and
	// the severity sort moves it.
	var before row
	tm.waitFor("the cursor on ci-pipelines", func(s []string) bool {
		rs := rows(s)
		var sel row
		for _, r := range rs {
			if r.selected {
				sel = r
			}
		}
		ci := rs["ci-pipelines"]
		switch {
		case ci.selected:
			before = ci
			return true
		case sel.index < ci.index:
			tm.keys(true, "j")
		default:
			tm.keys(true, "k")
		}
		return false
	})
	screen := tm.waitLonger(flapWait, "ci-pipelines to change status", func(s []string) bool {
		ci := rows(s)["ci-pipelines"]
		return ci.status != "" && ci.status != before.status
	})
	after := rows(screen)["ci-pipelines"]
	if !after.selected {
		t.Errorf("ci-pipelines went from %s (line %d) to %s (line %d) and the cursor did not follow:\n%s",
			before.status, before.index, after.status, after.index, strings.Join(screen, "\n"))
	}
	if after.index == before.index {
		t.Logf("ci-pipelines changed status without moving (line %d)", after.index)
	}

	// p: the screen freezes, the header says how many results wait.
	tm.keys(true, "p")
	frozen := tm.waitFor("the paused header", func(s []string) bool { return strings.Contains(s[0], "PAUSED") })
	var waiting int
	later := tm.waitFor("results to wait behind the pause (a sweep or more)", func(s []string) bool {
		m := waitingRE.FindStringSubmatch(s[0])
		if m == nil {
			return false
		}
		waiting, _ = strconv.Atoi(m[1])
		return waiting >= len(fleetNames)
	})
	if !slices.Equal(frozen[1:], later[1:]) {
		t.Errorf("the paused screen changed while %d results came in:\n%s\n---\n%s",
			waiting, strings.Join(frozen, "\n"), strings.Join(later, "\n"))
	}
	tm.keys(true, "p")
	tm.waitFor("the pause to end", func(s []string) bool { return !strings.Contains(s[0], "PAUSED") })

	tm.keys(true, "q")
	if status := tm.waitExit(); status != "0" {
		t.Errorf("mcpwatch demo exited with status %s after q, want 0", status)
	}
}

var waitingRE = regexp.MustCompile(`PAUSED, (\d+) results? waiting`)

// TestEventsView opens the fleet's timeline with e and finds a transition of
// the flapping server, then filters it. The events come from the state
// store; a dashboard without one says that history is off.
func TestEventsView(t *testing.T) {
	t.Parallel()
	tm := startDemo(t, 120, 40)
	tm.waitFor("the first sweep to settle", func(s []string) bool { return isSettled(rows(s)) })
	tm.keys(true, "e")
	screen := tm.waitFor("the events view", func(s []string) bool { return strings.HasPrefix(s[0], "mcpwatch › events") })
	if contains(screen, "history is off") {
		t.Skip("the demo runs without a state store (cmd does not pass one to the dashboard yet): " +
			"the events view says history is off, so there is no timeline to check")
	}
	flip := regexp.MustCompile(`ci-pipelines +(healthy → unhealthy|unhealthy → healthy)`)
	tm.waitLonger(flapWait, "a transition of ci-pipelines in the events view", func(s []string) bool {
		for _, l := range s {
			if flip.MatchString(l) {
				return true
			}
		}
		return false
	})
	tm.keys(true, "/")
	tm.keys(true, "ci-pip")
	tm.keys(false, "Enter")
	screen = tm.waitFor("the events filtered to ci-pipelines", func(s []string) bool { return strings.Contains(s[0], "filter: ci-pip") })
	for _, l := range screen[2:] {
		if f := strings.Fields(l); len(f) > 1 && timeRE.MatchString(f[0]) && f[1] != "ci-pipelines" {
			t.Errorf("filtered events show %q", l)
		}
	}
	tm.keys(false, "Escape") // clears the filter
	tm.waitFor("the filter to clear", func(s []string) bool { return !strings.Contains(s[0], "filter:") })
	tm.keys(false, "Escape") // back to the table
	tm.waitFor("the table", func(s []string) bool { return len(rows(s)) == len(fleetNames) })
	tm.keys(true, "q")
	if status := tm.waitExit(); status != "0" {
		t.Errorf("mcpwatch demo exited with status %s after q, want 0", status)
	}
}

var timeRE = regexp.MustCompile(`^\d\d:\d\d:\d\d$`)
