package config

import (
	"fmt"
	"testing"
)

// TestLocTableAsMap holds the table to a map over sets and gets, the same
// path set again included, across the move from slice to map.
func TestLocTableAsMap(t *testing.T) {
	var tab locTable
	want := map[locKey]loc{}
	for i := range 3 * smallLocs {
		k := locKey{"servers[0]", fmt.Sprint("k", i%(smallLocs+5))}
		l := loc{key: Position{Line: i + 1}}
		tab.set(k, l)
		want[k] = l
		for j := range smallLocs + 6 {
			k := locKey{"servers[0]", fmt.Sprint("k", j)}
			got, ok := tab.get(k)
			w, wok := want[k]
			if got != w || ok != wok {
				t.Fatalf("after %d sets, get(%v) = %v, %v; want %v, %v", i+1, k, got, ok, w, wok)
			}
		}
	}
	tab.reset()
	if _, ok := tab.get(locKey{"servers[0]", "k1"}); ok {
		t.Fatal("found after reset")
	}
	var none *locTable
	if _, ok := none.get(locKey{"", "name"}); ok {
		t.Fatal("found in a nil table")
	}
}
