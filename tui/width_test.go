package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// screens are the views reached from the table, for the size checks.
var screens = map[string][]string{
	"table":        nil,
	"detail":       {"enter"},
	"detail-token": {"j", "j", "j", "j", "j", "enter"},
	"help":         {"?"},
	"detail-help":  {"enter", "?"},
	"filter":       {"/", "p"},
	"filter-help":  {"?", "/", "p"},
	"failing":      {"f"},
}

// checkFrame fails if any line is wider than the terminal or there are more
// lines than it has rows.
func checkFrame(t *testing.T, m Model) {
	t.Helper()
	content, cur := m.render()
	lines := strings.Split(content, "\n")
	if len(lines) > m.height {
		t.Errorf("%d lines on a %d-row terminal", len(lines), m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("line %d is %d cells wide on a %d-column terminal: %q", i, w, m.width, ansi.Strip(l))
		}
	}
	if cur != nil && (cur.Position.X >= m.width || cur.Position.Y >= len(lines)) {
		t.Errorf("cursor at %v outside the %dx%d frame", cur.Position, m.width, len(lines))
	}
}

func TestNoLineWiderThanTheTerminal(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {100, 30}, {120, 40}, {250, 70}, {60, 20}}
	for name, ks := range screens {
		for _, sz := range sizes {
			for _, ascii := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%dx%d/ascii=%v", name, sz.w, sz.h, ascii), func(t *testing.T) {
					m := New(newFake(fleet()), Options{Color: "always", ASCII: ascii, Now: func() time.Time { return now }})
					m = keys(update(m, tea.WindowSizeMsg{Width: sz.w, Height: sz.h}), ks...)
					checkFrame(t, m)
				})
			}
		}
	}
}

// hostile is a fleet whose names and messages are long, wide or carry
// escape sequences (7- and 8-bit), C1 controls and bidi overrides.
func hostile() *probe.Snapshot {
	const osc8 = "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
	snap := fleet()
	s := &snap.Servers
	(*s)[0].Name = "an-extremely-long-server-name-that-goes-on-and-on-and-on-beyond-any-column"
	(*s)[0].Token.LastError = "refused \x1b]0;pwned\x07 \u009b2J \u202eevil"
	(*s)[1].Name = "名前がとても長いサーバー名前がとても長いサーバー"
	(*s)[1].Last.Message = "\x1b[31mred\x1b[0m and \x1b]0;pwned\x07 title and a\nnewline, " + osc8 +
		", \u009b2J\u009d0;pwned\u009c c1 \u0085 \u202eevil\u2066 bidi"
	(*s)[2].Last.Detail = strings.Repeat("a-very-long-unbroken-token/", 40) + "\n" + osc8 + "\u009d0;pwned\x07\u202e"
	(*s)[2].Last.ServerName = "docs\x1b]0;pwned\x07\u202e"
	(*s)[2].Last.ServerVersion = "\u009b31m0.9.1\u2067"
	(*s)[3].Tags = []string{"\x1b[2J", "\u202etag"}
	(*s)[3].URL = "https://mcp.github.example/" + osc8 + "\u200f"
	snap.Source = "/a/very/deep/path/" + strings.Repeat("nested/", 30) + "mcpwatch\u202e.yaml"
	return snap
}

// ownSGR is the styling the dashboard draws itself with Color "never": the
// selected row in reverse video.
var ownSGR = regexp.MustCompile(`\x1b\[(?:7|27)m`)

// rawControl finds the first control, C1 or bidi control in s that is not
// the dashboard's own styling.
func rawControl(s string) (rune, bool) {
	for _, r := range ownSGR.ReplaceAllString(s, "") {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

func TestHostileTextStaysInside(t *testing.T) {
	for name, ks := range screens {
		for _, sz := range []struct{ w, h int }{{80, 24}, {40, 12}, {160, 48}} {
			t.Run(fmt.Sprintf("%s/%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				for sel := range hostile().Servers {
					m := newModel(newFake(hostile()), sz.w, sz.h)
					m.moveTo(sel)
					m = keys(m, ks...)
					checkFrame(t, m)
					content, _ := m.render()
					if r, ok := rawControl(content); ok {
						t.Fatalf("server text reached the terminal raw: %U in\n%s", r, content)
					}
					// Whole sequences go, not just their ESC: nothing of them shows.
					for _, bad := range []string{"pwned", "evil.example", "[2J", "[31m", "]0;", "2J"} {
						if strings.Contains(content, bad) {
							t.Fatalf("an escape sequence left %q on screen:\n%s", bad, content)
						}
					}
				}
			})
		}
	}
}

// TestTinyTerminals: nothing panics down to one cell, and at 40x12 the
// frame still fits.
func TestTinyTerminals(t *testing.T) {
	all := []string{"j", "k", "pgdown", "pgup", "G", "g", "enter", "j", "pgdown", "G", "esc", "?", "r", "R",
		"f", "s", "/", "x", "enter", "esc", "s", "s", "?", "enter", "esc"}
	for _, sz := range []struct{ w, h int }{{40, 12}, {20, 6}, {12, 4}, {1, 1}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newModel(newFake(fleet()), sz.w, sz.h)
			for _, k := range all {
				m = keys(m, k)
				m.View()
				if sz.w >= 40 {
					checkFrame(t, m)
				}
			}
		})
	}
}

func TestColumnsDropByPriority(t *testing.T) {
	has := func(cols []column, id colID) bool {
		for _, c := range cols {
			if c.id == id {
				return true
			}
		}
		return false
	}
	m := newModel(newFake(fleet()), 80, 24)
	prev := len(colSpecs(&m))
	for w := 250; w >= 20; w-- {
		cols := m.columns(w)
		if !has(cols, colStatus) || !has(cols, colName) {
			t.Fatalf("status or name dropped at %d columns", w)
		}
		total := rowPrefix + colGap*(len(cols)-1)
		for _, c := range cols {
			total += c.w
		}
		if total > w {
			t.Fatalf("columns take %d cells of %d", total, w)
		}
		if len(cols) > prev {
			t.Fatalf("a narrower terminal (%d) shows more columns (%d) than a wider one (%d)", w, len(cols), prev)
		}
		prev = len(cols)
		// Every extra goes before any core column but status and name.
		if has(cols, colLatency) && has(cols, colLast) && has(cols, colToken) {
			continue
		}
		for _, extra := range []colID{colMessage, colHistory, colTransport, colAuth} {
			if has(cols, extra) {
				t.Fatalf("at %d columns %v is shown while a core column is not", w, extra)
			}
		}
	}
	if cols := m.columns(80); has(cols, colMessage) || !has(cols, colToken) || !has(cols, colLatency) {
		t.Fatalf("80 columns: %+v", cols)
	}
	if cols := m.columns(160); len(cols) != int(colMessage)+1 {
		t.Fatalf("160 columns: %d columns shown, want all", len(cols))
	}
}

func colSpecs(m *Model) [colMessage + 1]colSpec { return m.colSpecs() }
