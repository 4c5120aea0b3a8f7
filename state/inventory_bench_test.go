package state

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// BenchmarkReadInventories: the pins of 10,000 replicas of one server (two
// tools each), as check reads them before a sweep; live-MB is what the read
// inventories hold while the sweep runs.
func BenchmarkReadInventories(b *testing.B) {
	dir := b.TempDir()
	saved := map[string]probe.SavedInventory{}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 10000 {
		items := []probe.InventoryItem{
			{Kind: probe.KindTool, Name: "get_document", Hash: "d361c8db13890789efbdf2420ff89b6a38d3ffa856a67ca622522bcba261483b",
				Description: "Fetch a document by its id", Input: `{"properties":{"id":{"type":"string"}},"required":["id"],"type":"object"}`,
				Annotations: `{"annotations":{"destructiveHint":true,"idempotentHint":false,"openWorldHint":true,"readOnlyHint":false}}`},
			{Kind: probe.KindTool, Name: "search", Hash: "b8506ec4185b1866f52a83b98049340e27928aa65ebaf5462d8a2ac7b4241579",
				Description: "Full-text search over the documents", Input: `{"properties":{"query":{"type":"string"}},"required":["query"],"type":"object"}`},
		}
		inv := &probe.Inventory{Items: items, Hash: "db733ddd26eb311694a8f1ae23f96c66eb452fe87c9042f8aa23128ecdc7a00a", At: t0}
		saved[fmt.Sprintf("bench-%05d", i)] = probe.SavedInventory{Pinned: inv, Latest: inv}
	}
	if err := writeInventory(filepath.Join(dir, InventoryFileName), saved); err != nil {
		b.Fatal(err)
	}
	saved = nil
	var live float64
	b.ReportAllocs()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := ReadInventories(dir)
		if err != nil || len(got) != 10000 {
			b.Fatal(len(got), err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		live = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(got)
	}
	b.ReportMetric(live, "live-MB")
}
