package tui

import (
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// statusReason is why a server is not healthy, said once: the skip reason,
// the slowness, or the error, with the stage it failed at in front only when
// the message does not already name it ("no answer within 3s" needs it,
// "token endpoint refused …" does not). "" for a healthy or unchecked server.
func statusReason(r *probe.Result) string {
	if r.Status == probe.StatusHealthy || r.Status == probe.StatusUnknown {
		return ""
	}
	msg := clean(r.Message)
	stage := string(r.Stage)
	switch {
	case msg == "" && r.Status.Failing() && stage != "":
		return stage + " failed"
	case msg == "":
		return clean(r.Class)
	case !r.Status.Failing() || stage == "" || containsFold(msg, stage):
		return msg
	}
	return stage + ": " + msg
}

// containsFold is strings.Contains ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// warningText is a warning as the dashboard words it. A failing token
// refresh is worded from the live token, so the time the old token has left
// is current (in whole minutes: a row does not tick every second for it).
func warningText(st *probe.ServerState, w probe.Warning, now time.Time) string {
	if w.Class == probe.WarnTokenRefresh {
		if t := st.Token; t != nil && t.LastError != "" && now.Before(t.Expiry) {
			left := t.Expiry.Sub(now)
			valid := "under a minute"
			if left >= time.Minute {
				valid = coarse(left)
			}
			return "token refresh failing, the current token stays valid " + valid + " more: " + clean(t.LastError)
		}
	}
	if msg := clean(w.Message); msg != "" {
		return msg
	}
	return clean(w.Class)
}

// hasReason reports whether a row explains itself instead of showing
// measurements: it is not healthy (nor unchecked), or it warns.
func hasReason(st *probe.ServerState) bool {
	return len(st.Warnings) > 0 || st.Last.Status != probe.StatusHealthy && st.Last.Status != probe.StatusUnknown
}

// reasonText is the whole reason of a row as one line: the status reason,
// then each warning.
func (m *Model) reasonText(st *probe.ServerState) string {
	now := m.clock()
	parts := make([]string, 0, 1+len(st.Warnings))
	if r := statusReason(st.Last); r != "" {
		parts = append(parts, r)
	}
	for _, w := range st.Warnings {
		parts = append(parts, m.glyphs.warning+" "+warningText(st, w, now))
	}
	return strings.Join(parts, "  ")
}

// writeReason writes a row's reason in exactly w cells: the status reason
// (dim for a skipped server), then each warning in the warning colour, cut
// with an ellipsis where the room ends.
func (m *Model) writeReason(b *strings.Builder, st *probe.ServerState, w int, now time.Time) {
	used := 0
	put := func(s string, p paint) {
		if room := w - used; room > 0 && s != "" {
			s = fit(s, room, m.glyphs.ellipsis)
			b.WriteString(p.on)
			b.WriteString(s)
			b.WriteString(p.off)
			used += width(s)
		}
	}
	p := paint{}
	if st.Last.Status == probe.StatusSkipped {
		p = m.styles.dim
	}
	put(statusReason(st.Last), p)
	for _, wn := range st.Warnings {
		if used > 0 {
			if w-used < 4 {
				break
			}
			spaces(b, 2)
			used += 2
		}
		put(m.glyphs.warning+" "+warningText(st, wn, now), m.styles.warn)
	}
	spaces(b, w-used)
}
