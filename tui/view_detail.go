package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// labelWidth is the column detail values start at.
const labelWidth = 13

// detailWriter lays out labelled fields, wrapping values to the width.
// Fields in a section are indented under its heading.
type detailWriter struct {
	m      *Model
	lines  []string
	indent int
}

func (d *detailWriter) line(s string) { d.lines = append(d.lines, d.m.fitLine(s)) }

func (d *detailWriter) section(title string) {
	d.lines = append(d.lines, "", d.m.fitLine(d.m.styles.header.render(title)))
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
	for i, l := range wrap(value, vw) {
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

// hang writes label (already padded) then value wrapped under itself.
func (d *detailWriter) hang(label, value string) {
	lw := d.indent + width(label)
	if d.m.width-lw < 16 { // too narrow: value below label
		d.line(strings.Repeat(" ", d.indent) + d.m.styles.label.render(label))
		lw = d.indent + 2
		label = ""
	}
	for i, l := range wrap(value, max(d.m.width-lw, 1)) {
		var b strings.Builder
		if i == 0 && label != "" {
			spaces(&b, d.indent)
			b.WriteString(d.m.styles.label.render(label))
		} else {
			spaces(&b, lw)
		}
		b.WriteString(l)
		d.line(b.String())
	}
}

// wrap is s wrapped to w cells, as lines. Most values fit on one line,
// which is told without the cost of wrapping.
func wrap(s string, w int) []string {
	if !strings.Contains(s, "\n") && (len(s) <= w || ansi.StringWidth(s) <= w) {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, w, " "), "\n")
}

// block writes preformatted text indented by two, wrapped to the width.
func (d *detailWriter) block(text string) {
	for _, l := range wrap(text, max(d.m.width-2, 1)) {
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
	g, s, r := &m.glyphs, m.styles, st.Last

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
	if !st.Since.IsZero() {
		now := m.clock()
		d.field("Since", clean(string(r.Status))+" for "+clock(now.Sub(st.Since))+", since "+clockTime(st.Since, now))
	}
	label := "Message"
	if r.Status == probe.StatusSkipped {
		label = "Skipped"
	}
	d.field(label, clean(r.Message))
	for _, w := range st.Warnings {
		d.field("Warning", s.warn.render(g.warning)+" "+warningText(st, w, m.clock()))
	}
	d.field("Checked", m.checkedText(st))
	if l := latency(r.Latency); l != "" {
		d.field("Latency", l+" (handshake and liveness)")
	}
	d.field("Uptime", m.uptimeText(st))
	d.field("Server", serverText(r))
	if e := eraText(r, m.clock()); e != "" {
		d.field("Protocol", e)
	}
	m.certFields(d, r.TLS) // view_tls.go

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
	m.inventorySection(d, st)
	m.changesSection(d, st)
	return d.lines
}

// checkedText is when the last check ran, how long it took and when the
// next one is due, or that one is running.
func (m *Model) checkedText(st *probe.ServerState) string {
	now := m.clock()
	r := st.Last
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
	m.certFields(d, t.TLS) // the token endpoint's (view_tls.go)
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
	if r.ProtocolVersion != "" && r.Era == "" { // with an era, the Protocol line says it
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
