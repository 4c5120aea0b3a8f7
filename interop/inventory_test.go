package interop

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// stableInventory checks srv three times through a pool and requires the
// same inventory each time, read without error and without a warning:
// servers we did not write must not read as drifting (map order, volatile
// fields, paging).
func stableInventory(t *testing.T, srv config.Server) probe.Result {
	t.Helper()
	p := probe.NewPool(&config.File{Servers: []config.Server{srv}, Concurrency: 1, PerHost: 1}, probe.NewChecker("interop"))
	var first probe.Result
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r := p.Sweep(ctx)[0]
		cancel()
		if r.Status != probe.StatusHealthy && r.Status != probe.StatusDegraded {
			t.Fatalf("check %d: %s %s %s", i+1, r.Status, r.Class, r.Message)
		}
		if r.Inventory == nil || r.Inventory.Error != nil {
			t.Fatalf("check %d: inventory %+v", i+1, r.Inventory)
		}
		if i == 0 {
			first = r
		} else if r.Inventory.Hash != first.Inventory.Hash {
			t.Fatalf("check %d: inventory %s, first %s", i+1, r.Inventory.Hash, first.Inventory.Hash)
		}
		if ws := p.Snapshot().Servers[0].Warnings; len(ws) != 0 {
			t.Fatalf("check %d: warnings %+v", i+1, ws)
		}
	}
	t.Logf("%s: %d tools, %d prompts, %d resources, %d list requests", srv.Name,
		first.Inventory.Tools, first.Inventory.Prompts, first.Inventory.Resources, first.Inventory.Requests)
	return first
}

// TestEverythingInventory: the reference server's tools, prompts and
// resources are read and stable across checks. (Version 2026.8.31 lists
// its seven resources on one page; paging is covered in probe's tests.)
func TestEverythingInventory(t *testing.T) {
	node, entry := everything(t)
	base := serveHTTP(t, node, entry, "streamableHttp")
	srv := config.Server{Name: "everything-http", URL: base + "/mcp", Transport: config.TransportHTTP, Timeout: 10 * time.Second}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	r := stableInventory(t, srv)
	if r.Inventory.Tools < 5 || r.Inventory.Prompts < 1 || r.Inventory.Resources < 1 {
		t.Fatalf("inventory %+v: expected the reference server's tools, prompts and resources", r.Inventory)
	}
}

// TestGoSDKInventory: the official Go SDK, stateful and stateless.
func TestGoSDKInventory(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		name := map[bool]string{false: "gosdk-stateful", true: "gosdk-stateless"}[stateless]
		t.Run(name, func(t *testing.T) {
			peer := newGoSDKPeer(t, name)
			ts, w := serveGoSDK(t, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return peer },
				&mcp.StreamableHTTPOptions{Stateless: stateless}))
			r := stableInventory(t, gosdkTarget(t, name, ts.URL, config.TransportHTTP))
			if r.Inventory.Tools != 1 {
				t.Fatalf("inventory %+v, want the one tool", r.Inventory)
			}
			w.never(t, "tools/call")
		})
	}
}

// TestTSSDKInventory: the TypeScript SDK, stateful and stateless.
func TestTSSDKInventory(t *testing.T) {
	node, script := tssdk(t)
	for _, mode := range []string{"stateful", "stateless"} {
		t.Run(mode, func(t *testing.T) {
			base, _ := serveTSSDK(t, node, script, mode)
			srv := config.Server{Name: "tssdk-" + mode, URL: base + "/mcp", Transport: config.TransportHTTP, Timeout: 10 * time.Second}
			if err := srv.Validate(); err != nil {
				t.Fatal(err)
			}
			stableInventory(t, srv)
		})
	}
}
