package tui

import "strings"

// configProblems are the lines of a refused config edit's error, one
// problem each (file:line:col first).
func configProblems(e string) []string {
	var out []string
	for _, l := range strings.Split(e, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// configLines is the config problems page: every problem of the refused
// edit, whole, wrapped to the width.
func (m *Model) configLines() []string {
	d := &detailWriter{m: m}
	e := m.snap.ConfigError
	if e == "" {
		d.line("  the config in use has no problems")
		return d.lines
	}
	d.line(m.styles.forStatus("unhealthy").render("The newest edit of the config was not applied; the last good config keeps running."))
	for _, p := range configProblems(e) {
		d.lines = append(d.lines, "")
		d.block(clean(p))
	}
	return d.lines
}
