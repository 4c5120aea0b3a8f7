package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestAltEscGoesBack: two quick Escs arrive in one read (often over SSH) and
// Bubble Tea reports them as alt+esc; that must still leave the detail view.
func TestAltEscGoesBack(t *testing.T) {
	m := newModel(newFake(fleet()), 80, 24)
	m = update(m, press("enter"))
	if m.mode != modeDetail {
		t.Fatal("enter did not open the detail view")
	}
	m = update(m, tea.KeyPressMsg{Code: tea.KeyEscape, Mod: tea.ModAlt})
	if m.mode == modeDetail {
		t.Fatal("alt+esc did not go back")
	}
}
