package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestFrameKeptBetweenIdleTicks: a tick that finds nothing new, in the same
// second, draws nothing afresh; a new snapshot, a key, or the next second
// does, and shows what changed.
func TestFrameKeptBetweenIdleTicks(t *testing.T) {
	clock := now
	src := newFake(fleet())
	m := newModelWith(src, 120, 40, Options{})
	m.now = func() time.Time { return clock }
	first := m.View()
	gen := m.frameGen

	m = update(m, tickMsg{model: m.id})
	if m.frameGen != gen || m.View().Content != first.Content {
		t.Fatal("an idle tick changed the frame")
	}
	clock = clock.Add(300 * time.Millisecond) // the same second
	if m = update(m, tickMsg{model: m.id}); m.frameGen != gen {
		t.Fatal("an idle tick in the same second moved the model")
	}

	src.set(func(s *probe.Snapshot) { s.Servers[0].Last.Message = "a-new-failure-message" })
	m = update(m, tickMsg{model: m.id})
	if m.frameGen == gen || !strings.Contains(m.View().Content, "a-new-failure-message") {
		t.Fatalf("a new snapshot was not drawn:\n%s", m.View().Content)
	}
	gen = m.frameGen

	m = keys(m, "j")
	if m.frameGen == gen || m.cursor != 1 {
		t.Fatal("a key did not move the model")
	}
	before := m.View().Content
	clock = clock.Add(2 * time.Minute) // ages move
	if after := m.View().Content; after == before {
		t.Fatal("the frame of two minutes later is the same: the clock is not part of its key")
	}
}
