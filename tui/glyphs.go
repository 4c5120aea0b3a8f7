package tui

import "github.com/mcpwatch/mcpwatch/probe"

// glyphs are the non-ASCII characters the dashboard draws, with a plain ASCII
// set for terminals whose locale is not UTF-8.
type glyphs struct {
	status    map[probe.Status]string
	ellipsis  string
	none      string // an absent value
	cursor    string // marks the selected row
	spark     []string
	sparkFail string // a failed check in a latency sparkline
	ok, fail  string // stage outcome in the detail view
	sep       string // between items of a line
	checking  string
	refreshed string
	warning   string                  // a warning beside the status
	up, down  string                  // the sort column's direction
	arrow     string                  // from → to
	cells     map[probe.Status]string // statusCell, made once
}

func newGlyphs(ascii bool) glyphs {
	g := glyphSet(ascii)
	g.cells = make(map[probe.Status]string, len(probe.Statuses))
	for _, s := range probe.Statuses {
		g.cells[s] = g.statusGlyph(s) + " " + string(s)
	}
	return g
}

func glyphSet(ascii bool) glyphs {
	if ascii {
		return glyphs{
			status: map[probe.Status]string{
				probe.StatusAuthError: "!", probe.StatusUnhealthy: "x", probe.StatusDegraded: "~",
				probe.StatusHealthy: "+", probe.StatusSkipped: "-", probe.StatusUnknown: "?",
			},
			ellipsis: "...", none: "-", cursor: ">",
			spark:     []string{"_", ".", ":", "-", "=", "+", "*", "#"},
			sparkFail: "x", ok: "ok", fail: "x", sep: "|",
			checking: "checking...", refreshed: "refreshing...",
			warning: "*", up: "^", down: "v", arrow: "->",
		}
	}
	return glyphs{
		status: map[probe.Status]string{
			probe.StatusAuthError: "⊗", probe.StatusUnhealthy: "✗", probe.StatusDegraded: "◐",
			probe.StatusHealthy: "✓", probe.StatusSkipped: "⊘", probe.StatusUnknown: "○",
		},
		ellipsis: "…", none: "—", cursor: "›",
		spark:     []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"},
		sparkFail: "✗", ok: "✓", fail: "✗", sep: "•",
		checking: "checking…", refreshed: "refreshing…",
		warning: "▲", up: "↑", down: "↓", arrow: "→",
	}
}

// statusCell is the table's status text: glyph, space, word.
func (g glyphs) statusCell(s probe.Status) string {
	if c, ok := g.cells[s]; ok {
		return c
	}
	return g.statusGlyph(s) + " " + clean(string(s))
}

// statusGlyph falls back to the unknown glyph for a status this build does not know.
func (g glyphs) statusGlyph(s probe.Status) string {
	if v, ok := g.status[s]; ok {
		return v
	}
	return g.status[probe.StatusUnknown]
}
