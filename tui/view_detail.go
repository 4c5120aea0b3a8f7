package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// detailHeader is the title line of the detail view.
const detailHeader = 1

// labelWidth is the column detail values start at.
const labelWidth = 13

// detailView is the title, a window of the body (it scrolls), and the footer.
func (m *Model) detailView() []string {
	body := m.detailLines()
	footer, _ := m.footer(detailHeader)
	h := max(m.height-detailHeader-len(footer), 0)
	top := min(m.detailScroll, max(len(body)-h, 0))

	right := ""
	if st := m.selectedState(); st != nil {
		right = m.styles.forStatus(st.Last.Status).render(m.glyphs.statusGlyph(st.Last.Status) + " " + string(st.Last.Status))
	}
	if len(body) > h && h > 0 {
		right = fmt.Sprintf("%d-%d/%d  ", top+1, min(top+h, len(body)), len(body)) + right
	}
	title := m.detailTitle(right)
	lines := make([]string, 0, m.height)
	lines = append(lines, title)
	lines = append(lines, body[top:min(top+h, len(body))]...)
	for len(lines) < detailHeader+h {
		lines = append(lines, "")
	}
	return append(lines, footer...)
}

// detailTitle is "mcpwatch › server" on the left and right on the right.
func (m *Model) detailTitle(right string) string {
	left := m.styles.title.render("mcpwatch") + " " + m.glyphs.cursor + " "
	lw := len("mcpwatch") + 2 + width(m.glyphs.cursor)
	rw := ansi.StringWidth(right)
	name := fit(clean(m.selected), max(m.width-lw-rw-2, 0), m.glyphs.ellipsis)
	var b strings.Builder
	b.WriteString(left)
	b.WriteString(m.styles.header.render(name))
	spaces(&b, m.width-lw-width(name)-rw)
	b.WriteString(right)
	return m.fitLine(b.String())
}

// detailWriter lays out labelled fields, wrapping values to the width.
// Fields in a section are indented under its heading.
type detailWriter struct {
	m      *Model
	lines  []string
	indent int
}

func (d *detailWriter) line(s string) { d.lines = append(d.lines, d.m.fitLine(s)) }

func (d *detailWriter) section(title string) {
	d.lines = append(d.lines, "", d.m.styles.header.render(title))
	d.indent = 2
}

// field writes "label  value", the value wrapped under itself. Empty values
// are left out.
func (d *detailWriter) field(label, value string) {
	if value == "" {
		return
	}
	lw := labelWidth
	if d.m.width < labelWidth+16 { // too narrow for two columns: value below label
		d.line(strings.Repeat(" ", d.indent) + d.m.styles.label.render(label))
		lw = d.indent + 2
	}
	vw := max(d.m.width-lw, 1)
	for i, l := range strings.Split(ansi.Wrap(value, vw, " "), "\n") {
		var b strings.Builder
		if i == 0 && lw == labelWidth {
			spaces(&b, d.indent)
			b.WriteString(d.m.styles.label.on)
			pad(&b, label, lw-d.indent-1, false, "")
			b.WriteString(d.m.styles.label.off)
			b.WriteByte(' ')
		} else {
			spaces(&b, lw)
		}
		b.WriteString(l)
		d.line(b.String())
	}
}

// block writes preformatted text indented by two, wrapped to the width.
func (d *detailWriter) block(text string) {
	for _, l := range strings.Split(ansi.Wrap(text, max(d.m.width-2, 1), " "), "\n") {
		d.line("  " + l)
	}
}

// detailLines is the whole body of the detail view of the selected server.
func (m *Model) detailLines() []string {
	st := m.selectedState()
	d := &detailWriter{m: m}
	if st == nil {
		d.line("  " + clean(m.selected) + " is no longer in the configuration")
		return d.lines
	}
	g, s, r := &m.glyphs, &m.styles, &st.Last

	d.field("URL", clean(st.URL))
	d.field("Transport", transportText(st))
	d.field("Auth", clean(st.AuthKind))
	if len(st.Tags) > 0 {
		d.field("Tags", clean(strings.Join(st.Tags, ", ")))
	}

	status := s.forStatus(r.Status).render(g.statusGlyph(r.Status) + " " + string(r.Status))
	if r.Stage != "" && r.Status != probe.StatusHealthy {
		status += " at the " + string(r.Stage) + " stage"
	}
	if r.Class != "" {
		status += " (" + clean(r.Class) + ")"
	}
	d.field("Status", status)
	label := "Message"
	if r.Status == probe.StatusSkipped {
		label = "Skipped"
	}
	d.field(label, clean(r.Message))
	d.field("Checked", m.checkedText(st))
	if l := latency(r.Latency); l != "" {
		d.field("Latency", l+" (handshake and liveness)")
	}
	if ratio, ok := st.Uptime(); ok {
		d.field("Uptime", fmt.Sprintf("%.1f%% over the last %d results", ratio*100, len(st.History)))
	} else {
		d.field("Uptime", g.none+" nothing checked yet")
	}
	d.field("Server", serverText(r))
	if e := eraText(r, m.clock()); e != "" {
		d.field("Protocol", e)
	}

	if len(r.Stages) > 0 {
		d.section("Stages")
		for _, t := range r.Stages {
			var b strings.Builder
			spaces(&b, 2)
			pad(&b, string(t.Stage), 11, false, "")
			if t.OK {
				b.WriteString(s.good.render(fit(g.ok, 2, "")))
				spaces(&b, 2-width(g.ok))
			} else {
				b.WriteString(s.bad.render(fit(g.fail, 2, "")))
				spaces(&b, 2-width(g.fail))
			}
			d.line(b.String() + "  " + fmt.Sprintf("%7s", latency(t.Duration)))
		}
	}
	if t := st.Token; t != nil {
		m.tokenSection(d, t)
	}
	if r.Detail != "" {
		d.section("Last error")
		d.block(cleanBlock(r.Detail))
	}
	return d.lines
}

// checkedText is when the last check ran, how long it took and when the
// next one is due, or that one is running.
func (m *Model) checkedText(st *probe.ServerState) string {
	now := m.clock()
	r := &st.Last
	var parts []string
	switch {
	case m.checking(st):
		parts = append(parts, m.styles.accent.render(m.glyphs.checking))
		if !r.Started.IsZero() {
			parts = append(parts, "last "+ago(r.Started, now))
		}
	case r.Started.IsZero():
		parts = append(parts, "never")
	default:
		parts = append(parts, ago(r.Started, now)+" at "+clockTime(r.Started, now))
		if r.Total > 0 {
			parts = append(parts, "took "+latency(r.Total))
		}
	}
	if !st.NextCheck.IsZero() && st.NextCheck.After(now) && !m.checking(st) {
		parts = append(parts, "next in "+clock(st.NextCheck.Sub(now)))
	}
	return strings.Join(parts, ", ")
}

func (m *Model) tokenSection(d *detailWriter, t *probe.TokenInfo) {
	now := m.clock()
	d.section("Token")
	if t.TokenURL != "" {
		how := ""
		if t.TokenURLSource != "" {
			how = " (" + clean(t.TokenURLSource) + ")"
		}
		d.field("Endpoint", clean(t.TokenURL)+how)
	}
	if t.Issuer != "" {
		trust := map[string]string{"pinned": " (pinned)", "same_origin": " (on the server's origin)"}[t.IssuerTrust]
		d.field("Issuer", clean(t.Issuer)+trust)
	}
	scopesSection(d, t)
	if !t.Obtained.IsZero() {
		d.field("Obtained", clockTime(t.Obtained, now)+" ("+ago(t.Obtained, now)+")")
	}
	if !t.Expiry.IsZero() {
		exp := clockTime(t.Expiry, now)
		if t.ExpiryDefaulted {
			exp += ", assumed: the endpoint sent no expires_in"
		}
		d.field("Expires", exp)
	}
	state, _, st := tokenText(t, now, m.glyphs)
	if st == tokenNone {
		state = "none obtained"
	}
	d.field("State", state)
	if t.LastError != "" {
		e := clean(t.LastError)
		if !t.LastErrorAt.IsZero() {
			e += " (" + ago(t.LastErrorAt, now) + ")"
		}
		d.field("Error", e)
	}
}

// scopesSection shows the scopes granted and which were requested and why: on one line when
// the server granted what was asked (or said nothing), else a Requested and a Granted line.
func scopesSection(d *detailWriter, t *probe.TokenInfo) {
	granted := clean(strings.Join(t.Scopes, " "))
	why := scopeWhy(t.ScopeSource)
	switch {
	case why == "":
		d.field("Scopes", granted)
	case len(t.Scopes) == 0 || sameScopes(t.Scopes, t.RequestedScopes):
		d.field("Scopes", requestedText(t, why))
	default:
		d.field("Requested", requestedText(t, why))
		d.field("Granted", granted)
	}
}

func requestedText(t *probe.TokenInfo, why string) string {
	if len(t.RequestedScopes) == 0 {
		return "none requested (" + why + ")"
	}
	return clean(strings.Join(t.RequestedScopes, " ")) + " (" + why + ")"
}

// scopeWhy words probe.TokenInfo.ScopeSource for people; "" when the probe did not say (e.g.
// discovery failed before scopes were chosen).
func scopeWhy(source string) string {
	switch source {
	case "":
		return ""
	case "none":
		return "none configured, none named by the server"
	case "configured":
		return "configured"
	case "challenge":
		return "from the server's challenge"
	case "scopes_supported":
		return "from the server's scopes_supported"
	}
	return clean(source)
}

func sameScopes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// serverText is what the server said about itself and how we knew it was alive.
func serverText(r *probe.Result) string {
	var parts []string
	if id := strings.TrimSpace(clean(r.ServerName) + " " + clean(r.ServerVersion)); id != "" {
		parts = append(parts, id)
	}
	if r.ProtocolVersion != "" {
		parts = append(parts, "protocol "+clean(r.ProtocolVersion))
	}
	if r.LivenessMethod != "" {
		parts = append(parts, "alive by "+clean(r.LivenessMethod))
	}
	return strings.Join(parts, ", ")
}

// transportText is the configured transport and, for auto, the one found.
func transportText(st *probe.ServerState) string {
	t := clean(st.Transport)
	if used := st.Last.Transport; st.Transport == "auto" && used != "" {
		t += " (found " + clean(used) + ")"
	}
	return t
}

// eraText says which protocol era the last check spoke and whether it was
// negotiated then or remembered from an earlier check.
func eraText(r *probe.Result, now time.Time) string {
	if r.Era == "" {
		return ""
	}
	s := clean(r.ProtocolVersion) + ", " + clean(r.Era) + " era"
	if r.EraRemembered.IsZero() {
		return s + ", negotiated in this check"
	}
	return s + ", remembered from " + ago(r.EraRemembered, now) + " (renegotiated hourly, on failure and on config change)"
}
