package cmd

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/shard"
)

// reloadEvery is how often the config file is looked at for changes.
const reloadEvery = time.Second

// watchConfig applies edits of the config file to the running pool until
// ctx ends, and with reloadOnHUP also reloads on SIGHUP. A broken edit keeps
// the running config; its error, with file:line:col, is shown in every view
// until the file is fixed. w is newConfigWatcher's for the running config.
//
// Only the daemon (serve) takes SIGHUP for reload. For the dashboard SIGHUP
// keeps its first meaning, the terminal went away: catching it would leave
// an orphaned dashboard probing forever after an SSH disconnect.
func watchConfig(ctx context.Context, w *config.Watcher, pool *probe.Pool, reloadOnHUP bool) {
	watchConfigLogging(ctx, w, "", shard.Shard{}, pool, reloadOnHUP, nil)
}

// newConfigWatcher watches path, from which applied, the running config,
// was loaded: an edit made since it was loaded is applied on the first
// look. The watcher keeps applied's digest only, so that the caller can let
// go of the config once the pool has it (a reload replaces it there).
func newConfigWatcher(path string, applied *config.File) *config.Watcher {
	return config.NewWatcher(path, reloadEvery, applied)
}

// watchConfigLogging is watchConfig that also logs each reload when logger
// is not nil (serve, whose stderr is a log and which has no screen to show
// a refused config on): applied, with the servers added and removed, or
// refused, with every problem at its file:line:col. Each edit is cut to the
// shard sh before the pool sees it.
func watchConfigLogging(ctx context.Context, w *config.Watcher, path string, sh shard.Shard, pool *probe.Pool, reloadOnHUP bool, logger *slog.Logger) {
	if reloadOnHUP {
		watchHUP(ctx, w)
	}
	w.Run(ctx, func(f *config.File, warnings []config.Warning, err error) {
		if logger != nil {
			for _, wn := range warnings {
				logger.Warn("config warning", "warning", wn.String())
			}
		}
		if err != nil {
			pool.SetConfigError(err.Error())
			if logger != nil {
				logRefused(logger, path, err)
			}
			return
		}
		var before *probe.Snapshot
		if logger != nil {
			before = pool.Snapshot()
		}
		f = sh.Filter(f)
		pool.Apply(f)
		if logger != nil {
			added, removed := serverChanges(before, f)
			logger.Info("config reloaded", "path", path, "servers", len(f.Servers), "added", added, "removed", removed)
		}
	})
}

// maxLoggedProblems bounds the problem lines one refused reload logs (a
// config can hold up to 1,000 errors; `config validate` prints them all).
const maxLoggedProblems = 20

// logRefused logs a config that could not be applied: one line saying so,
// then a line per problem, each starting with its file:line:col.
func logRefused(logger *slog.Logger, path string, err error) {
	var errs config.Errors
	if !errors.As(err, &errs) {
		logger.Error("config reload refused; the running config stays", "path", path, "err", err.Error())
		return
	}
	logger.Error("config reload refused; the running config stays", "path", path, "problems", len(errs))
	for i, line := range strings.Split(errs.Error(), "\n") {
		if i == maxLoggedProblems {
			logger.Error("more config problems not logged", "count", len(errs)-i,
				"hint", "mcpwatch config validate "+path+" lists them all")
			break
		}
		logger.Error("config problem", "problem", line)
	}
}

// serverChanges counts the servers of f that before did not have, and the
// servers of before that f no longer has.
func serverChanges(before *probe.Snapshot, f *config.File) (added, removed int) {
	was := make(map[string]bool, len(before.Servers))
	for _, st := range before.Servers {
		was[st.Name] = true
	}
	is := make(map[string]bool, len(f.Servers))
	for _, s := range f.Servers {
		is[s.Name] = true
		if !was[s.Name] {
			added++
		}
	}
	for name := range was {
		if !is[name] {
			removed++
		}
	}
	return added, removed
}

// watchHUP triggers a reload on each SIGHUP until ctx ends.
func watchHUP(ctx context.Context, w *config.Watcher) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				w.Trigger()
			}
		}
	}()
}
