package probe

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

func TestApplyReload(t *testing.T) {
	f := newFixture(t)
	url := serve(t, streamableHandler("r")).URL
	other := serve(t, streamableHandler("r2")).URL
	srv := func(name, u string) config.Server {
		s := f.server(u)
		s.Name, s.Interval = name, time.Hour
		return s
	}
	cc := f.oauthServer(f.protected(streamableHandler("p"), nil, ""), false)
	cc.Name, cc.Interval = "cc", time.Hour
	cfg := &config.File{Path: "test", Concurrency: 4, PerHost: 4,
		Servers: []config.Server{srv("keep", url), srv("retime", url), srv("move", url), srv("drop", url), cc}}
	pool := NewPool(cfg, f.checker)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, pool, func(s *Snapshot) bool {
		for _, st := range s.Servers {
			if st.Checks != 1 {
				return false
			}
		}
		return true
	})
	before := byName(pool.Snapshot())

	pool.SetConfigError("config.yaml:3:5: servers[0].url: required")
	if got := pool.Snapshot().ConfigError; got == "" {
		t.Fatal("config error not in the snapshot")
	}

	retimed := srv("retime", url)
	retimed.Interval = 2 * time.Hour
	moved := srv("move", other)
	next := &config.File{Path: "test", Concurrency: 2, PerHost: 2,
		Servers: []config.Server{srv("added", url), srv("keep", url), retimed, moved, cc}}
	pool.Apply(next)

	waitFor(t, pool, func(s *Snapshot) bool {
		m := byName(s)
		return m["added"].Checks == 1 && m["retime"].Checks == 2 && m["move"].Checks == 1 && !m["move"].Checking
	})
	snap := pool.Snapshot()
	after := byName(snap)
	if snap.ConfigError != "" {
		t.Fatalf("a good config must clear the error, got %q", snap.ConfigError)
	}
	var order []string
	for _, st := range snap.Servers {
		order = append(order, st.Name)
	}
	if want := []string{"added", "keep", "retime", "move", "cc"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v (the new config's)", order, want)
	}
	if _, ok := after["drop"]; ok {
		t.Fatal("a removed server is still shown")
	}
	if after["keep"].Checks != 1 || after["keep"].Last.Started != before["keep"].Last.Started {
		t.Fatal("an unchanged server was rechecked or lost its result")
	}
	if len(after["retime"].History) != 2 {
		t.Fatalf("a server whose target did not change keeps its history: got %d points", len(after["retime"].History))
	}
	if len(after["move"].History) != 1 || after["move"].Last.ServerName != "r2" {
		t.Fatalf("a server that moved starts a fresh history: %d points, server %q", len(after["move"].History), after["move"].Last.ServerName)
	}
	if after["cc"].Checks != 1 || f.as.Requests() != 1 {
		t.Fatalf("unchanged oauth server: checks %d, token requests %d; want 1 and 1", after["cc"].Checks, f.as.Requests())
	}
	pool.Recheck("cc")
	waitFor(t, pool, func(s *Snapshot) bool { return byName(s)["cc"].Checks == 2 })
	if n := f.as.Requests(); n != 1 {
		t.Fatalf("token requests after reload and recheck = %d, want 1: tokens must survive a reload", n)
	}
}

func byName(s *Snapshot) map[string]*ServerState {
	m := map[string]*ServerState{}
	for _, st := range s.Servers {
		m[st.Name] = st
	}
	return m
}
