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
	"table":         nil,
	"detail":        {"enter"},
	"detail-token":  {"j", "j", "j", "j", "j", "enter"},
	"help":          {"?"},
	"detail-help":   {"enter", "?"},
	"filter":        {"/", "p"},
	"filter-help":   {"?", "/", "p"},
	"failing":       {"f"},
	"events":        {"e"},
	"events-typing": {"e", "/", "c"},
	"detail-events": {"j", "enter", "e"},
	"paused":        {"p"},
	"reversed":      {"S"},
	"config":        {"c"},
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
					src := newFake(fleet())
					src.snap.ConfigError = "/etc/mcpwatch.yaml:7:12: servers[1].url: required"
					h := timeline()
					h.notice = "state dir /var/lib/mcpwatch is in use by another mcpwatch (pid 4242); history is kept in memory"
					m := New(src, Options{Color: "always", ASCII: ascii, History: h, Now: func() time.Time { return now }})
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

// hostileTimeline is a state store whose events and notice carry escape
// sequences, C1 and bidi controls.
func hostileTimeline() *fakeHistory {
	const osc8 = "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
	h := timeline()
	h.notice = "state dir \x1b]0;pwned\x07/var/lib\u202e in use"
	h.events = append([]probe.Event{
		{At: now, Server: "search\x1b[2J", Kind: probe.EventStatus, From: "healthy\u009b2J", To: "unhealthy\x1b]0;pwned\x07",
			Class: "connect\u202e.refused", Reason: "refused " + osc8 + " \u009d0;pwned\u009c"},
		{At: now, Server: "an-extremely-long-server-name-that-goes-on-and-on-and-on-beyond-any-column", Kind: probe.EventChange,
			From: "docs\x1b]0;pwned\x07 0.9", To: "docs \u202e1.0", Class: probe.ChangeServer},
	}, h.events...)
	return h
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
					src := newFake(hostile())
					src.snap.ConfigError = "/etc/\x1b]0;pwned\x07mcpwatch.yaml:7:12: servers[1].url: \u202eevil\nsecond \x1b[31mline"
					m := newModelWith(src, sz.w, sz.h, Options{History: hostileTimeline()})
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
		"f", "s", "/", "x", "enter", "esc", "s", "s", "?", "enter", "esc",
		"S", "p", "y", "e", "j", "G", "/", "z", "enter", "esc", "esc", "p", "enter", "e", "esc", "y", "esc", "c"}
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
