package probe

import (
	"fmt"
	"slices"
	"time"
)

// Warning is the second dimension beside Status: a server can be healthy and
// still warn (its token refresh fails while the old token holds, it flaps).
// Classes are stable, like failure classes.
type Warning struct {
	Class   string `json:"class"`
	Message string `json:"message"`
}

// Warning classes.
const (
	WarnTokenRefresh = "token.refresh_failing" // a refresh failed; the old token is still valid
	WarnFlapping     = "flapping"              // failing and not failing in turn, recently
)

// Flapping: at least flapChanges changes between failing and not failing
// among the last flapWindow results.
const (
	flapWindow  = 20
	flapChanges = 4
)

// warningsOf computes a server's warnings from its live token state and its
// recent history. now is when they are judged (token validity runs out).
func warningsOf(tok *TokenInfo, history []HistoryPoint, now time.Time) []Warning {
	var ws []Warning
	if tok != nil && tok.LastError != "" && !tok.Obtained.IsZero() && now.Before(tok.Expiry) {
		ws = append(ws, Warning{Class: WarnTokenRefresh, Message: fmt.Sprintf(
			"token refresh failing (%s); the current token stays valid %s more",
			tok.LastError, tok.Expiry.Sub(now).Round(time.Second))})
	}
	if n := flips(history); n >= flapChanges {
		ws = append(ws, Warning{Class: WarnFlapping, Message: fmt.Sprintf(
			"flapping: changed between failing and working %d times in the last %d checks", n, min(len(history), flapWindow))})
	}
	return ws
}

// flips counts changes between failing and not failing in the recent history.
func flips(h []HistoryPoint) int {
	h = h[max(0, len(h)-flapWindow):]
	n := 0
	for i := 1; i < len(h); i++ {
		if h[i].Status().Failing() != h[i-1].Status().Failing() &&
			h[i].Status() != StatusSkipped && h[i-1].Status() != StatusSkipped {
			n++
		}
	}
	return n
}

// warningClasses lists the classes of ws, for comparing two sets.
func warningClasses(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Class
	}
	return out
}

// warningEvents are the events for the change from old to new warnings:
// one per class raised or cleared.
func warningEvents(server string, old, new []Warning, at time.Time) []Event {
	var evs []Event
	oc, nc := warningClasses(old), warningClasses(new)
	for _, w := range new {
		if !slices.Contains(oc, w.Class) {
			evs = append(evs, Event{At: at, Server: server, Kind: EventWarning, To: w.Class, Class: w.Class, Reason: w.Message})
		}
	}
	for _, w := range old {
		if !slices.Contains(nc, w.Class) {
			evs = append(evs, Event{At: at, Server: server, Kind: EventWarning, From: w.Class, Class: w.Class, Reason: "cleared"})
		}
	}
	return evs
}

func hasWarning(ws []Warning, class string) bool {
	return slices.ContainsFunc(ws, func(w Warning) bool { return w.Class == class })
}
