package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// TestToolboxDrifts: the toolbox is healthy with a pinned inventory, and
// once its change is due the next check warns inventory.changed, naming
// run_query's description, while it stays healthy.
func TestToolboxDrifts(t *testing.T) {
	f := startFleet(t)
	cfg := &config.File{Servers: []config.Server{serverNamed(t, f, "toolbox")}, Concurrency: 1, PerHost: 1}
	pool := probe.NewPool(cfg, probe.NewChecker("test"))
	first := pool.Sweep(context.Background())[0]
	if first.Status != probe.StatusHealthy || first.Inventory == nil || first.Inventory.Tools != 2 {
		t.Fatalf("first check %s %s, inventory %+v", first.Status, first.Message, first.Inventory)
	}
	f.drift.force()
	second := pool.Sweep(context.Background())[0]
	st := pool.Snapshot().Servers[0]
	if second.Status != probe.StatusHealthy || len(st.Warnings) != 1 || st.Warnings[0].Class != probe.WarnInventoryChanged ||
		!strings.Contains(st.Warnings[0].Message, "description of tool `run_query` changed") {
		t.Fatalf("second check %s, warnings %+v", second.Status, st.Warnings)
	}
}

// TestDriftAfter: the delay comes from the environment, with a default.
func TestDriftAfter(t *testing.T) {
	for env, want := range map[string]string{"": "1m0s", "3s": "3s", "-1s": "1m0s", "soon": "1m0s"} {
		t.Setenv(EnvDriftAfter, env)
		if got := driftAfter().String(); got != want {
			t.Errorf("%s=%q: %s, want %s", EnvDriftAfter, env, got, want)
		}
	}
}
