package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcpwatch/mcpwatch/probe"
)

// descInventoryItems is the size of what a server advertises, per kind;
// drift itself is mcpwatch_server_warning{class="inventory.changed"}.
var descInventoryItems = newDesc("mcpwatch_inventory_items",
	"Tools, prompts and resources the server advertised at its newest complete inventory, by kind; absent with inventory off or before the first list.",
	"server", "kind")

func appendInventoryMetrics(b *build, st *probe.ServerState) {
	if st.Inventory == nil || st.Inventory.Current == nil {
		return
	}
	for _, kind := range probe.InventoryKinds {
		b.metric(descInventoryItems, prometheus.GaugeValue, float64(st.Inventory.Current.Count(kind)), st.Name, kind)
	}
}
