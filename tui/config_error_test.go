package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestConfigErrorShown: a broken config edit is shown, with its position,
// in the table and the detail view, and goes away once fixed.
func TestConfigErrorShown(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 80, 24)
	src.set(func(s *probe.Snapshot) {
		s.ConfigError = "/etc/mcpwatch.yaml:7:12: servers[1].url: required\n/etc/mcpwatch.yaml:9:3: servers[2].nmae: unknown key; did you mean name?"
	})
	m = update(m, tickMsg{model: m.id})
	for _, view := range []Model{m, update(m, press("enter"))} {
		got := strings.Join(screen(view), "\n")
		if !strings.Contains(got, "config not applied") || !strings.Contains(got, "mcpwatch.yaml:7:12") || !strings.Contains(got, "(2 problems, c shows all)") {
			t.Fatalf("config error not shown:\n%s", got)
		}
		for _, l := range strings.Split(view.View().Content, "\n") {
			if w := ansi.StringWidth(l); w > 80 {
				t.Fatalf("line of %d cells at 80 columns: %q", w, l)
			}
		}
	}
	src.set(func(s *probe.Snapshot) { s.ConfigError = "" })
	m = update(m, tickMsg{model: m.id})
	if got := strings.Join(screen(m), "\n"); strings.Contains(got, "config not applied") {
		t.Fatal("the error stays after the config was fixed")
	}
}

// TestConfigProblemsPage: c shows every problem of a refused edit whole,
// wrapped; esc goes back. Without a problem c does nothing.
func TestConfigProblemsPage(t *testing.T) {
	src := newFake(fleet())
	m := newModel(src, 80, 24)
	if m = keys(m, "c"); m.mode != modeTable {
		t.Fatal("c opened a page without a config problem")
	}
	long := "/etc/mcpwatch.yaml:9:3: servers[2].nmae: unknown key; did you mean name? (valid keys: name, url, transport, headers, tags, auth, interval, timeout, slow)"
	src.set(func(s *probe.Snapshot) { s.ConfigError = "/etc/mcpwatch.yaml:7:12: servers[1].url: required\n" + long })
	m = keys(update(m, tickMsg{model: m.id}), "c")
	text := strings.Join(screen(m), "\n")
	if m.mode != modeConfig || !strings.HasPrefix(text, "mcpwatch › config problems") {
		t.Fatalf("c: mode %v\n%s", m.mode, text)
	}
	joined := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"servers[1].url: required", long} {
		if !strings.Contains(joined, want) {
			t.Errorf("the page lacks %q whole:\n%s", want, text)
		}
	}
	checkFrame(t, m)
	if m = keys(m, "esc"); m.mode != modeTable {
		t.Fatalf("esc: mode %v", m.mode)
	}
}
