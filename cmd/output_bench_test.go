package cmd

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// BenchmarkWriteJSON: `check --output json`'s report of 10,000 healthy
// servers (docs/performance.md): what writing it allocates at the end of
// a check.
func BenchmarkWriteJSON(b *testing.B) {
	const n = 10000
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	snap := &probe.Snapshot{Source: "fleet.yaml"}
	results := make([]probe.Result, n)
	for i := range n {
		name := fmt.Sprintf("bench-%05d", i)
		snap.Servers = append(snap.Servers, &probe.ServerState{Name: name, URL: "http://127.1.0.1:8080/mcp", Transport: "auto",
			AuthKind: "oauth2 client_credentials", Inventory: &probe.InventoryState{}})
		results[i] = probe.Result{Server: name, Status: probe.StatusHealthy, Started: t0, Latency: time.Millisecond, Total: time.Millisecond,
			Stages: []probe.StageTiming{{Stage: probe.StageToken, OK: true}, {Stage: probe.StageConnect, OK: true},
				{Stage: probe.StageHandshake, OK: true}, {Stage: probe.StageLiveness, OK: true}},
			ProtocolVersion: "2026-07-28", Era: "stateless", Transport: "http", ServerName: name, ServerVersion: "1.0.0",
			LivenessMethod: "tools/list", Capabilities: []string{"tools"},
			Token:     &probe.TokenInfo{TokenURL: "http://127.0.0.1:9/token", TokenURLSource: "configured", Obtained: t0, Expiry: t0.Add(time.Hour), ScopeSource: "none"},
			Inventory: &probe.InventoryResult{Tools: 2, Hash: "db733ddd26eb311694a8f1ae23f96c66eb452fe87c9042f8aa23128ecdc7a00a"}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := writeJSON(io.Discard, snap, results, 0); err != nil {
			b.Fatal(err)
		}
	}
}
