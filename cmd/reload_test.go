package cmd

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// TestWatchConfigEndToEnd: edits of the file reach a running pool; a broken
// edit keeps the running servers and shows its position until fixed.
func TestWatchConfigEndToEnd(t *testing.T) {
	mcp := httptest.NewServer(mcpHandler())
	t.Cleanup(mcp.Close)
	path := filepath.Join(t.TempDir(), "config.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte("defaults: {interval: 1h}\nservers:\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("  - {name: one, url: \"" + mcp.URL + "\"}\n")
	cfg, _, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := probe.NewPool(cfg, probe.NewChecker("test"))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(ctx) })
	w := newConfigWatcher(path, cfg)
	wg.Go(func() { watchConfig(ctx, w, pool, false) })
	defer func() { cancel(); wg.Wait() }()
	until := func(what string, cond func(*probe.Snapshot) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond(pool.Snapshot()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s; snapshot %+v", what, pool.Snapshot())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	names := func(s *probe.Snapshot) string {
		var n []string
		for _, st := range s.Servers {
			n = append(n, st.Name)
		}
		return strings.Join(n, ",")
	}
	until("first check", func(s *probe.Snapshot) bool { return s.Servers[0].Checks == 1 })

	write("  - {name: one, url: \"" + mcp.URL + "\"}\n  - {name: two, url: \"" + mcp.URL + "\"}\n")
	until("added server", func(s *probe.Snapshot) bool { return names(s) == "one,two" && s.Servers[1].Checks == 1 })

	write("  - {name: one, url: \"" + mcp.URL + "\"}\n  - {name: two, ulr: \"" + mcp.URL + "\"}\n")
	until("broken edit shown", func(s *probe.Snapshot) bool {
		return strings.Contains(s.ConfigError, "config.yaml:4:3: servers[1].url: required") && strings.Contains(s.ConfigError, "did you mean url") && names(s) == "one,two"
	})
	if s := pool.Snapshot(); s.Servers[0].Checks != 1 {
		t.Fatal("a broken edit disturbed a running server")
	}

	write("  - {name: two, url: \"" + mcp.URL + "\"}\n")
	until("fixed", func(s *probe.Snapshot) bool { return s.ConfigError == "" && names(s) == "two" })
	if s := pool.Snapshot(); len(s.Servers[0].History) != 1 {
		t.Fatalf("an unchanged server lost its history across reloads: %d points", len(s.Servers[0].History))
	}
}
