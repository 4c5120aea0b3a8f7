package cmd

import (
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
)

// stateFlags choose where history (events, uptime, how long a server has
// been in its state) is kept: the dashboard, the demo and serve take them.
type stateFlags struct {
	StateDir string `placeholder:"DIR" xor:"state" help:"Keep history (events, uptime) in DIR (default $XDG_STATE_HOME/mcpwatch, else ~/.local/state/mcpwatch; the demo: memory)."`
	NoState  bool   `xor:"state" help:"Keep history in memory only: nothing is written, and it is gone at exit."`
}

// stateDir is where the flags say history goes: a dir, or memory ("")
// with why when that was not asked for. The demo keeps history in memory
// unless --state-dir is given: a try-out leaves nothing behind, and its
// servers do not mix with a real fleet's history.
type stateDir struct{ dir, whyMemory string }

func (f stateFlags) where(e *env, memoryByDefault bool) stateDir {
	switch {
	case f.NoState:
		return stateDir{}
	case f.StateDir != "":
		return stateDir{dir: f.StateDir}
	case memoryByDefault:
		return stateDir{}
	}
	if dir := state.DefaultDir(e.getenv); dir != "" {
		return stateDir{dir: dir}
	}
	return stateDir{whyMemory: state.NoDefaultDir}
}

// openState opens the history in sd with cfg's retention. It never fails:
// a dir it cannot use leaves history in memory, and the store's Notice
// says why (onNotice, when set, hears each change).
func openState(sd stateDir, cfg *config.File, onNotice func(string)) *state.Store {
	return state.Open(state.Options{Dir: sd.dir, Notice: sd.whyMemory, Retention: cfg.State.Retention, OnNotice: onNotice})
}

// openServeState is openState for serve, whose stderr is a log: where
// history goes, and every problem with it and its end, are logged.
func openServeState(sd stateDir, cfg *config.File, logger *slog.Logger) *state.Store {
	where := sd.dir
	if where == "" {
		where = "memory"
	}
	logger.Info("history", "dir", where, "retention", retentionOf(cfg).String())
	var problem atomic.Bool
	st := openState(sd, cfg, func(n string) {
		if n != "" {
			problem.Store(true)
			logger.Warn("history: " + n)
		} else if problem.Swap(false) {
			logger.Info("history: written to the state dir again", "dir", sd.dir)
		}
	})
	if n := st.InventoryNote(); n != "" {
		logger.Warn(n)
	}
	return st
}

// viewHistory is the store as the views read it: their header line also
// says what became of an unreadable pin file, for the whole run (the store
// keeps that apart from its history notice, which serve logs as it changes).
type viewHistory struct{ *state.Store }

func (h viewHistory) Notice() string {
	n, pins := h.Store.Notice(), h.Store.InventoryNote()
	switch {
	case pins == "":
		return n
	case n == "":
		return pins
	}
	return n + "; " + pins
}

func retentionOf(cfg *config.File) time.Duration {
	if cfg.State.Retention > 0 {
		return cfg.State.Retention
	}
	return state.DefaultRetention
}

// poolHooks lets more than one consumer observe the pool's results (it
// keeps a single observer): metrics histograms and the state store.
type poolHooks struct {
	*probe.Pool
	observers []func(probe.Result)
}

// Observe adds fn to the observers; like Pool.Observe, call it before Run.
func (h *poolHooks) Observe(fn func(probe.Result)) {
	h.observers = append(h.observers, fn)
	fns := slices.Clone(h.observers)
	h.Pool.Observe(func(r probe.Result) {
		for _, f := range fns {
			f(r)
		}
	})
}

// feedState seeds the pool with what the store remembers (a server failing
// before a restart is still "failing since 12m" after it) and feeds the
// store every result and event. Call it before the pool runs.
func feedState(h *poolHooks, st *state.Store, cfg *config.File) {
	h.Pool.Restore(state.Restorable(st.LastStates(), time.Now(), restoreGap(cfg)))
	h.Observe(st.RecordResult)
	h.Pool.OnEvent(st.RecordEvent)
	h.Pool.RestoreInventory(st.Inventories())
	h.Pool.OnInventory(st.RecordInventory)
	st.OnPinRequest(func(servers []string) []string { return h.Pool.AcceptInventory(servers...) })
}

// restoreGap is how long a server may have gone unchecked across a restart
// and keep its Since: two of its intervals and ten minutes for the restart.
// Longer, and nobody knows what it did meanwhile.
func restoreGap(cfg *config.File) func(string) time.Duration {
	interval := make(map[string]time.Duration, len(cfg.Servers))
	for _, s := range cfg.Servers {
		interval[s.Name] = s.Interval
	}
	return func(name string) time.Duration {
		iv := interval[name]
		if iv <= 0 {
			iv = config.DefaultInterval
		}
		return 2*iv + 10*time.Minute
	}
}
