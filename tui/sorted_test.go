package tui

import (
	"slices"
	"testing"
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
