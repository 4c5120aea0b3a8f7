package tui

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestViewersShareSortedRows: dashboards over one source showing the same
// snapshot in the same sort hold one slice of all its rows; another sort
// or a filter in one of them leaves the other's rows as they were.
func TestViewersShareSortedRows(t *testing.T) {
	src := newFake(bigFleet(200))
	a, b := newModel(src, 160, 48), newModel(src, 160, 48)
	if &a.rows[0] != &b.rows[0] || a.all != b.all {
		t.Fatal("two viewers of one snapshot in one sort hold a copy each")
	}
	want := slices.Clone(a.rows)

	b = keys(b, "s") // by name
	if &a.rows[0] == &b.rows[0] {
		t.Fatal("another sort shares the first viewer's rows")
	}
	if slices.Equal(b.rows, want) {
		t.Fatal("the second viewer's sort did not change its order")
	}
	b = typed(keys(b, "S", "/"), "001")
	if len(b.rows) == 0 || len(b.rows) == len(a.rows) {
		t.Fatalf("filter kept %d of %d rows", len(b.rows), len(a.rows))
	}
	if !slices.Equal(a.rows, want) {
		t.Fatal("the second viewer's sort and filter changed the first viewer's rows")
	}

	// A new snapshot: the first viewer to poll sorts it, the next shares it.
	next := *src.snap
	next.Version++
	src.snap = &next
	a.poll()
	c := newModel(src, 160, 48)
	if &a.rows[0] != &c.rows[0] {
		t.Fatal("viewers of the new snapshot hold a copy each")
	}
	if !slices.Equal(a.rows, want) {
		t.Fatal("the same servers in a new snapshot sorted differently")
	}
}

// TestSortDoesNotDependOnStart: compareRows is a total order, so a shared
// sort gives every viewer what its own sort from its last order gave.
func TestSortDoesNotDependOnStart(t *testing.T) {
	snap := bigFleet(300)
	for by := range sortKeys {
		for _, rev := range []bool{false, true} {
			spec := sortSpec{by, rev}
			fresh := buildFleet(snap, spec, nil)
			for from := range sortKeys {
				for _, frev := range []bool{false, true} {
					got := buildFleet(snap, spec, buildFleet(snap, sortSpec{from, frev}, nil))
					if !slices.Equal(got.rows, fresh.rows) {
						t.Fatalf("sort %v reverse %v from %v/%v differs from a fresh sort", by, rev, from, frev)
					}
				}
			}
		}
	}
}

// TestRebuildReadsOnlyChangedServers: a rebuild from the last fleet reuses
// the rows of servers whose state is the same one (the pool replaces a
// changed server's state and shares the rest), and gives exactly what a
// fresh build gives: rows, counts, warnings and the widest name, also
// when states change status, warnings or (a reload) name.
func TestRebuildReadsOnlyChangedServers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	snap := bigFleet(300)
	statuses := probe.Statuses
	for round := range 200 {
		spec := sortSpec{sortKey(rng.IntN(int(sortKeys))), rng.IntN(2) == 0}
		prev := buildFleet(snap, spec, nil)
		next := &probe.Snapshot{Version: snap.Version + 1, Servers: slices.Clone(snap.Servers)}
		for range rng.IntN(5) {
			i := rng.IntN(len(next.Servers))
			st := *next.Servers[i]
			last := *st.Last
			st.Last = &last
			st.Last.Status = statuses[rng.IntN(len(statuses))]
			st.Last.Latency = time.Duration(rng.IntN(1000)) * time.Millisecond
			st.Warnings = nil
			if rng.IntN(3) == 0 {
				st.Warnings = []probe.Warning{{Class: "flapping"}}
			}
			if rng.IntN(10) == 0 {
				st.Name = strings.Repeat("w", rng.IntN(40)) + st.Name
			}
			next.Servers[i] = &st
		}
		got, want := buildFleet(next, spec, prev), buildFleet(next, spec, nil)
		if !slices.Equal(got.rows, want.rows) || got.counts != want.counts || got.warned != want.warned || got.nameWidth != want.nameWidth {
			t.Fatalf("round %d: the rebuild from the last fleet differs from a fresh one", round)
		}
		snap = next
	}
}

// BenchmarkRebuildOneChanged is the pool's case: a new snapshot in which
// one server's state was replaced and the rest are shared.
func BenchmarkRebuildOneChanged(b *testing.B) {
	snap := bigFleet(10_000)
	prev := buildFleet(snap, sortSpec{sortSeverity, false}, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		next := &probe.Snapshot{Version: snap.Version + 1, Servers: slices.Clone(snap.Servers)}
		st := *next.Servers[i%len(next.Servers)]
		st.Last.Latency++
		next.Servers[i%len(next.Servers)] = &st
		prev = buildFleet(next, sortSpec{sortSeverity, false}, prev)
		snap = next
		i += 7
	}
}
