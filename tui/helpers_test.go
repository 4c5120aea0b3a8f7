package tui

import (
	"image/color"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// press builds the key message a terminal sends for a key name as
// KeyPressMsg.String spells it.
func press(name string) tea.KeyPressMsg {
	special := map[string]rune{
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"home": tea.KeyHome, "end": tea.KeyEnd, "enter": tea.KeyEnter, "esc": tea.KeyEscape,
		"backspace": tea.KeyBackspace,
	}
	if c, ok := special[name]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	if rest, ok := strings.CutPrefix(name, "ctrl+"); ok {
		r, _ := utf8.DecodeRuneInString(rest)
		return tea.KeyPressMsg{Code: r, Mod: tea.ModCtrl}
	}
	r, _ := utf8.DecodeRuneInString(name)
	return tea.KeyPressMsg{Code: r, Text: name}
}

// update feeds msgs to m in order and returns the resulting model.
func update(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

// keys presses each named key in turn.
func keys(m Model, names ...string) Model {
	for _, n := range names {
		m = update(m, press(n))
	}
	return m
}

// typed presses a key per character of s.
func typed(m Model, s string) Model {
	for _, r := range s {
		m = update(m, press(string(r)))
	}
	return m
}

// screen is the frame as plain text, one string per line.
func screen(m Model) []string {
	content, _ := m.render()
	return strings.Split(ansi.Strip(content), "\n")
}

// rowOf returns the screen line that shows server name in the table.
func rowOf(t *testing.T, m Model, name string) string {
	t.Helper()
	for _, l := range screen(m)[tableHeader:] {
		f := strings.Fields(l)
		for _, w := range f[:min(len(f), 4)] {
			if w == name {
				return l
			}
		}
	}
	t.Fatalf("no row for %s on screen:\n%s", name, strings.Join(screen(m), "\n"))
	return ""
}

// names lists the servers in table order.
func names(m Model) []string {
	out := make([]string, len(m.rows))
	for i, r := range m.rows {
		out[i] = r.name
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// bg is the terminal's answer to a background colour query.
func bg(dark bool) tea.BackgroundColorMsg {
	if dark {
		return tea.BackgroundColorMsg{Color: color.RGBA{R: 0x1e, G: 0x1e, B: 0x2e, A: 0xff}}
	}
	return tea.BackgroundColorMsg{Color: color.RGBA{R: 0xfa, G: 0xfa, B: 0xfa, A: 0xff}}
}

// tea_size is a terminal of w by h.
func tea_size(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// tea_setClipboard is the message tea.SetClipboard(s) sends.
func tea_setClipboard(s string) tea.Msg { return tea.SetClipboard(s)() }
