package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/demo"
)

// driftWait covers the toolbox's change (set to a second here) and a few
// demo intervals on a loaded machine.
const driftWait = 60 * time.Second

// TestInventoryDriftInTheDashboard: the demo's toolbox changes a tool's
// description; the warning shows in the table and the events view, the
// detail view shows old and new text, and a accepts it.
func TestInventoryDriftInTheDashboard(t *testing.T) {
	t.Parallel()
	tm := startDemoEnv(t, 160, 45, demo.EnvDriftAfter+"=1s")
	tm.waitLonger(driftWait, "toolbox's inventory.changed warning in the table", func(s []string) bool {
		r, ok := rows(s)["toolbox"]
		return ok && r.status == "healthy" && strings.Contains(r.rest, "inventory changed")
	})
	tm.keys(true, "e")
	tm.waitLonger(driftWait, "the drift in the events view", func(s []string) bool {
		if !strings.HasPrefix(s[0], "mcpwatch › events") {
			return false // the table's row says the same: wait for the view itself
		}
		for _, l := range s {
			if strings.Contains(l, "toolbox") && strings.Contains(l, "description of tool `run_query` changed") {
				return true
			}
		}
		return false
	})
	tm.keys(false, "Escape")
	tm.waitFor("the table", func(s []string) bool {
		return !strings.HasPrefix(s[0], "mcpwatch › events") && len(rows(s)) == len(fleetNames)
	})
	tm.keys(true, "/")
	tm.keys(true, "toolbox")
	tm.keys(false, "Enter")
	tm.waitFor("the table filtered to toolbox", func(s []string) bool { return len(rows(s)) == 1 })
	tm.keys(false, "Enter")
	tm.waitFor("old and new description in the detail view", func(s []string) bool {
		return contains(s, "old: Run a read-only SQL query") && contains(s, "new: Run a SQL query against the primary") &&
			contains(s, "press a to accept")
	})
	tm.keys(true, "a")
	tm.waitFor("the warning to clear after a", func(s []string) bool {
		return contains(s, "current inventory pinned") && !contains(s, "Warning")
	})
	tm.keys(true, "q")
	if status := tm.waitExit(); status != "0" {
		t.Errorf("mcpwatch demo exited with status %s after q, want 0", status)
	}
}

// TestInventoryDriftInCheckJSON: check, run twice against the demo fleet
// with a state dir, pins the toolbox's first inventory and then reports the
// drift as a warning and a diff in its JSON.
func TestInventoryDriftInCheckJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	bin := build(t)
	t.Setenv(demo.EnvDriftAfter, "1ns") // due at once: the second check sees it
	fleet, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "fleet.yaml")
	writeFile(t, cfg, string(fleet.YAML()))
	check := func() map[string]any {
		t.Helper()
		out, err := exec.Command(bin, "check", "--config", cfg, "--server", "toolbox", "--state-dir", filepath.Join(dir, "state"), "-o", "json").Output()
		if err != nil {
			t.Fatalf("check: %v\n%s", err, out)
		}
		var rep struct {
			Servers []map[string]any `json:"servers"`
		}
		if err := json.Unmarshal(out, &rep); err != nil || len(rep.Servers) != 1 {
			t.Fatalf("%v: %s", err, out)
		}
		return rep.Servers[0]
	}
	if first := check(); len(first["warnings"].([]any)) != 0 {
		t.Fatalf("first check warns: %v", first["warnings"])
	}
	second := check()
	ws := second["warnings"].([]any)
	if len(ws) != 1 || ws[0].(map[string]any)["class"] != "inventory.changed" {
		t.Fatalf("second check warnings %v", ws)
	}
	changes := second["inventory"].(map[string]any)["changes"].([]any)
	c := changes[0].(map[string]any)
	if c["name"] != "run_query" || !strings.Contains(c["new"].(map[string]any)["description"].(string), "primary database") {
		t.Fatalf("changes %v", changes)
	}
}
