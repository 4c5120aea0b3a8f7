package metrics

import "testing"

// TestInventoryItems: a checked server's advertised items are exported per
// kind; a server that never answered has no series.
func TestInventoryItems(t *testing.T) {
	f := newFleet(t)
	sweep(t, f.pool, f.swept...)
	fams := families(t, scrape(t, f.metrics.Handler()))
	one(t, fams, "mcpwatch_inventory_items", map[string]string{"server": "plain", "kind": "tool"})
	if v := value(one(t, fams, "mcpwatch_inventory_items", map[string]string{"server": "plain", "kind": "prompt"})); v != 0 {
		t.Fatalf("plain advertises %v prompts", v)
	}
	if ms := series(fams, "mcpwatch_inventory_items", map[string]string{"server": "down"}); len(ms) != 0 {
		t.Fatalf("a server that never answered has inventory series %v", ms)
	}
	if v := value(one(t, fams, "mcpwatch_server_warning", map[string]string{"server": "plain", "class": "inventory.changed"})); v != 0 {
		t.Fatalf("inventory.changed %v on a fresh pin", v)
	}
}
