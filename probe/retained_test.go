package probe

import (
	"slices"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// TestEntriesShareWhatTheyHoldAlike: at 10,000 servers what every entry
// kept for itself was tens of MB. Entries refer to the applied config's
// servers (a reload moves them to the new config, changed or not, so the
// old one is not kept), and servers whose checks had the same secret forms
// keep one set; different forms stay apart.
func TestEntriesShareWhatTheyHoldAlike(t *testing.T) {
	cfg, p := unreachablePool("a", "b", "c")
	for i, e := range p.entries {
		if e.srv != &cfg.Servers[i] {
			t.Fatalf("entry %d holds a copy of its server's config", i)
		}
	}
	forms := func(token string) []string { return secretForms([]string{"the-shared-secret", token}) }
	for i, e := range p.entries {
		tok := "token-shared-by-all"
		if i == 2 {
			tok = "another-token-of-c"
		}
		p.finish(e, Result{Server: e.srv.Name, Status: StatusHealthy, Started: time.Now()}, oauth.Credentials{}, forms(tok), true)
	}
	a, b, c := p.entries[0].forms, p.entries[1].forms, p.entries[2].forms
	if len(a) == 0 || &a[0] != &b[0] {
		t.Error("equal secret forms are kept once per server")
	}
	if len(c) == 0 || &c[0] == &a[0] || !slices.Contains(c, "another-token-of-c") {
		t.Errorf("different forms were shared: %q and %q", a, c)
	}

	next := *cfg
	next.Servers = append([]config.Server(nil), cfg.Servers...)
	next.Servers[1].Tags = []string{"prod"}
	p.Apply(&next)
	for i, e := range p.entries {
		if e.srv != &next.Servers[i] {
			t.Fatalf("after a reload entry %d still refers to the old config", i)
		}
	}
}

// TestEqualInventoriesShareItems: servers that advertise the same items
// keep one copy of them (each its own Inventory, with its own time);
// different items stay apart.
func TestEqualInventoriesShareItems(t *testing.T) {
	_, p := unreachablePool("a", "b", "c")
	inv := func(tool string) *Inventory {
		return &Inventory{Hash: "h-" + tool, At: time.Now(), Items: []InventoryItem{{Kind: KindTool, Name: tool, Hash: "x" + tool}}}
	}
	for i, e := range p.entries {
		tool := "search"
		if i == 2 {
			tool = "fetch"
		}
		p.finish(e, Result{Server: e.srv.Name, Status: StatusHealthy, Started: time.Now(), Inventory: &InventoryResult{inv: inv(tool)}},
			oauth.Credentials{}, nil, true)
	}
	a, b, c := p.entries[0].inv.current, p.entries[1].inv.current, p.entries[2].inv.current
	if a == b || &a.Items[0] != &b.Items[0] {
		t.Error("equal items are kept once per server")
	}
	if &c.Items[0] == &a.Items[0] || c.Items[0].Name != "fetch" {
		t.Errorf("different items were shared: %+v", c.Items)
	}
}

// unreachablePool is a pool over servers nothing answers for, checked once
// an hour: for tests that hand it results themselves.
func unreachablePool(names ...string) (*config.File, *Pool) {
	cfg := &config.File{Path: "test", Concurrency: 1, PerHost: 1}
	for _, name := range names {
		cfg.Servers = append(cfg.Servers, config.Server{Name: name, URL: "http://127.0.0.1:1/mcp", Transport: config.TransportHTTP,
			Interval: time.Hour, Timeout: time.Second, Slow: time.Second})
	}
	return cfg, NewPool(cfg, NewChecker("test"))
}
