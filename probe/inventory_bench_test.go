package probe

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/config"
)

// BenchmarkSweepInventory is the cost of inventory: one sweep over 100
// servers that offer tools, prompts and resources, with inventory on and
// off, in both eras. It reports HTTP requests and list requests per check
// (after the first sweep, which negotiates the era). Without ttlMs every
// check lists each kind the server offers; on a stateless-era server the
// tools page liveness fetched is reused.
func BenchmarkSweepInventory(b *testing.B) {
	const n = 100
	for _, era := range []string{EraStateless, EraInitialize} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("era=%s/inventory=%v", era, on), func(b *testing.B) {
				var h http.Handler = server.NewStreamableHTTPServer(driftServer())
				if era == EraInitialize {
					h = legacyOnly(h)
				}
				var requests atomic.Int64
				var lists atomic.Int32
				counted := countLists(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					h.ServeHTTP(w, r)
				}), &lists)
				cfg := &config.File{Path: "bench", Concurrency: config.DefaultConcurrency, PerHost: config.DefaultPerHost}
				for i, u := range loopbackFleet(b, n, counted) {
					cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%d", i), URL: u, NoInventory: !on,
						Transport: config.TransportHTTP, Interval: time.Minute, Timeout: 10 * time.Second, Slow: 10 * time.Second})
				}
				pool := NewPool(cfg, NewChecker("bench"))
				sweep := func() {
					for _, r := range pool.Sweep(context.Background()) {
						if r.Status != StatusHealthy || r.Era != era || (on && (r.Inventory == nil || r.Inventory.Error != nil)) {
							b.Fatalf("%s: %s %s %s, era %s, inventory %+v", r.Server, r.Status, r.Class, r.Message, r.Era, r.Inventory)
						}
					}
				}
				sweep()
				requests.Store(0)
				lists.Store(0)
				b.ReportAllocs()
				sweeps := 0
				for b.Loop() {
					sweep()
					sweeps++
				}
				b.ReportMetric(float64(requests.Load())/float64(n*sweeps), "requests/check")
				b.ReportMetric(float64(lists.Load())/float64(n*sweeps), "list-requests/check")
			})
		}
	}
}
