package state

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestReadInventoriesSharesEqualItems: a fleet of replicas pins the same
// inventory on every server; read back, they share one copy of the items
// (10,000 copies were 14 MB held through a whole check), each keeping its
// own time. Items that differ under the same hash (a file edited by hand)
// are not shared.
func TestReadInventoriesSharesEqualItems(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	at := func(i *probe.Inventory, d time.Duration) *probe.Inventory { i.At = t0.Add(d); return i }
	odd := inv("aa")
	odd.Items[0].Description = "edited"
	saved := map[string]probe.SavedInventory{
		"r1":  {Pinned: at(inv("aa"), 0), Latest: at(inv("aa"), time.Minute)},
		"r2":  {Pinned: at(inv("aa"), 2*time.Minute), Latest: at(inv("bb"), 3*time.Minute)},
		"r3":  {Pinned: at(inv("bb"), 4*time.Minute)},
		"odd": {Pinned: at(odd, 5*time.Minute)},
	}
	if err := writeInventory(filepath.Join(dir, InventoryFileName), saved); err != nil {
		t.Fatal(err)
	}
	got, err := ReadInventories(dir)
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b *probe.Inventory) bool { return &a.Items[0] == &b.Items[0] }
	if !same(got["r1"].Pinned, got["r1"].Latest) || !same(got["r1"].Pinned, got["r2"].Pinned) || !same(got["r2"].Latest, got["r3"].Pinned) {
		t.Fatal("equal inventories were read into copies of their own")
	}
	if same(got["odd"].Pinned, got["r1"].Pinned) || got["odd"].Pinned.Items[0].Description != "edited" {
		t.Fatalf("items that differ under one hash were shared: %+v", got["odd"].Pinned.Items)
	}
	for name, want := range map[string]time.Duration{"r1": 0, "r2": 2 * time.Minute, "r3": 4 * time.Minute} {
		if !got[name].Pinned.At.Equal(t0.Add(want)) {
			t.Fatalf("%s pinned at %v, want its own time", name, got[name].Pinned.At)
		}
	}
	if got["r2"].Latest.Hash != "bb" || got["r1"].Latest.At != t0.Add(time.Minute) {
		t.Fatalf("r2 latest %s, r1 latest at %v", got["r2"].Latest.Hash, got["r1"].Latest.At)
	}
}
