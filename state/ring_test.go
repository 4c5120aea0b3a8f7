package state

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// slotRing is the week as it was kept before hourRing: a slot per hour,
// each with its own index. hourRing must count exactly as it did.
type slotRing [hourSlots]slot

func (r *slotRing) at(h int32) slot {
	if s := r[h%hourSlots]; s.idx == h {
		return s
	}
	return slot{}
}

// TestHourRingCountsAsSlots feeds the same results to both rings — hours in
// order, a few late, gaps of days and of more than a week, bursts that
// saturate an hour — and compares every hour of the week after each.
func TestHourRingCountsAsSlots(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var want slotRing
		var got hourRing
		h := int32(490_000)
		for step := range 3000 {
			switch p := rng.IntN(100); {
			case p < 60: // the same hour
			case p < 85:
				h++
			case p < 92:
				h += int32(rng.IntN(30))
			case p < 95:
				h += int32(hourSlots + rng.IntN(50))
			}
			at := h
			if rng.IntN(10) == 0 { // late: an earlier hour, maybe out of the week
				at -= int32(rng.IntN(200))
			}
			up := rng.IntN(4) != 0 || seed%5 == 0
			n := 1
			if rng.IntN(200) == 0 {
				n = math.MaxUint16 + 3
			}
			for range n {
				// A result from before the newest hour's week: the old ring
				// counted it when its slot held an older hour still, where no
				// window read it; hourRing drops it.
				stale := at <= got.newest-hourSlots
				w, g := want[at%hourSlots].add(at, up), got.add(at, up)
				if stale && g || !stale && w != g {
					t.Fatalf("seed %d step %d: add(%d) counted %v, slots %v", seed, step, at, g, w)
				}
			}
			// The week up to the newest hour counted. (Hours before it the old
			// ring might still hold until their slot was reused; no reader
			// looked at them unless the clock had gone back over a week.)
			for x := got.newest - hourSlots + 1; x <= got.newest+2; x++ {
				if w, g := want.at(x), got.slot(x); w.up != g.up || w.checked != g.checked {
					t.Fatalf("seed %d step %d: hour %d is %+v, slots say %+v", seed, step, x, g, w)
				}
			}
		}
	}
}

// TestHourRingDropsDownCounts: the down counts are kept only while some
// result in the week was down.
func TestHourRingDropsDownCounts(t *testing.T) {
	var r hourRing
	h := int32(490_000)
	r.add(h, true)
	if r.down != nil {
		t.Fatal("an up result allocated down counts")
	}
	r.add(h, false)
	for i := range int32(hourSlots - 1) {
		r.add(h+1+i, true)
		if r.down == nil {
			t.Fatalf("down counts gone %d hours after the failure, within the week", i+1)
		}
	}
	r.add(h+hourSlots, true)
	if r.down != nil {
		t.Fatal("down counts kept a week after the last failure")
	}
	r.set(slot{idx: h + hourSlots, up: 3, checked: 5})
	if s := r.slot(h + hourSlots); r.down == nil || s.up != 3 || s.checked != 5 {
		t.Fatalf("restored bucket reads %+v", s)
	}
}

// BenchmarkModelWeek is what the store's model holds for 1,000 servers each
// checked every 30 s for a week (every hour of the ring full): up all week,
// down once a day, and down one check in four. Reported: heap bytes per
// server after the week (measured on the live heap after a collection).
func BenchmarkModelWeek(b *testing.B) {
	const servers, every = 1000, 30 * time.Second
	start := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		down func(i int) bool
	}{
		{"up", func(int) bool { return false }},
		{"down-daily", func(i int) bool { return i%2880 == 0 }},
		{"down-quarter", func(i int) bool { return i%4 == 0 }},
	} {
		b.Run(c.name, func(b *testing.B) {
			names := make([]string, servers)
			for i := range names {
				names[i] = fmt.Sprintf("server-%05d", i)
			}
			var perServer float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				m := newModel(0)
				for i := range int(7 * 24 * time.Hour / every) {
					at := start.Add(time.Duration(i) * every)
					st := probe.StatusHealthy
					if c.down(i) {
						st = probe.StatusUnhealthy
					}
					for _, name := range names {
						m.serverLocked(name).addResult(at, st)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perServer = float64(after.HeapAlloc-before.HeapAlloc) / servers
				if u := m.uptime(names[0], start.Add(7*24*time.Hour-time.Second)); u.Week.Checked != 7*24*120 {
					b.Fatalf("week counted %+v", u.Week)
				}
				runtime.KeepAlive(m)
			}
			b.ReportMetric(perServer, "heapB/server")
		})
	}
}
