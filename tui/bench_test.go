package tui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

var fleetSizes = []int{1000, 10000}

// BenchmarkView is the cost of one frame. The clock moves a second per
// frame, so every age and countdown on screen is formatted afresh.
func BenchmarkView(b *testing.B) {
	for _, n := range fleetSizes {
		for _, sz := range []struct{ w, h int }{{80, 24}, {250, 70}} {
			b.Run(fmt.Sprintf("servers=%d/%dx%d", n, sz.w, sz.h), func(b *testing.B) {
				clock := now
				m := New(newFake(bigFleet(n)), Options{Color: "always", Now: func() time.Time { return clock }})
				m = update(m, tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
				m.moveTo(n / 2)
				b.ReportAllocs()
				for b.Loop() {
					clock = clock.Add(time.Second)
					_ = m.View()
				}
			})
		}
	}
}

// BenchmarkViewDetail is one frame of the detail view.
func BenchmarkViewDetail(b *testing.B) {
	clock := now
	m := New(newFake(bigFleet(10000)), Options{Color: "always", Now: func() time.Time { return clock }})
	m = keys(update(m, tea.WindowSizeMsg{Width: 160, Height: 48}), "enter")
	b.ReportAllocs()
	for b.Loop() {
		clock = clock.Add(time.Second)
		_ = m.View()
	}
}

// BenchmarkPoll is a tick: with the snapshot unchanged, and with a new
// version, which filters and re-sorts every row.
func BenchmarkPoll(b *testing.B) {
	for _, n := range fleetSizes {
		b.Run(fmt.Sprintf("unchanged/servers=%d", n), func(b *testing.B) {
			m := newModel(newFake(bigFleet(n)), 160, 48)
			b.ReportAllocs()
			for b.Loop() {
				m.poll()
			}
		})
		b.Run(fmt.Sprintf("new-version/servers=%d", n), func(b *testing.B) {
			src := newFake(bigFleet(n))
			m := newModel(src, 160, 48)
			b.ReportAllocs()
			for b.Loop() {
				next := *src.snap
				next.Version++
				src.snap = &next
				m.poll()
			}
		})
		// Ten viewers of one pool (serve's SSH sessions) each take the new
		// snapshot: per snapshot, for all ten.
		b.Run(fmt.Sprintf("new-version-10-viewers/servers=%d", n), func(b *testing.B) {
			src := newFake(bigFleet(n))
			ms := make([]Model, 10)
			for i := range ms {
				ms[i] = newModel(src, 160, 48)
			}
			b.ReportAllocs()
			for b.Loop() {
				next := *src.snap
				next.Version++
				src.snap = &next
				for i := range ms {
					ms[i].poll()
				}
			}
		})
	}
}

// BenchmarkFilterKeystroke is typing one character of a filter.
func BenchmarkFilterKeystroke(b *testing.B) {
	m := keys(newModel(newFake(bigFleet(10000)), 160, 48), "/")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i++; i%2 == 0 {
			m = keys(m, "backspace")
		} else {
			m = keys(m, "9")
		}
	}
}

// BenchmarkIdleTick is what a viewer of an idle fleet costs per tick: Update
// with nothing new, then the frame Bubble Tea asks for. Four ticks a second.
func BenchmarkIdleTick(b *testing.B) {
	for _, n := range fleetSizes {
		b.Run(fmt.Sprintf("servers=%d/160x48", n), func(b *testing.B) {
			m := New(newFake(bigFleet(n)), Options{Color: "always", Now: func() time.Time { return now }})
			m = update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
			b.ReportAllocs()
			for b.Loop() {
				next, _ := m.Update(tickMsg{model: m.id})
				m = next.(Model)
				_ = m.View()
			}
		})
	}
}

// BenchmarkTick is a poll tick through Update as Bubble Tea delivers it,
// nothing changed: what each viewer pays four times a second for nothing.
func BenchmarkTick(b *testing.B) {
	var m tea.Model = newModel(newFake(bigFleet(100)), 160, 48)
	tick := tickMsg{model: m.(Model).id}
	b.ReportAllocs()
	for b.Loop() {
		m, _ = m.Update(tick)
	}
}
