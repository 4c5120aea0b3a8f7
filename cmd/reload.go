package cmd

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// reloadEvery is how often the config file is looked at for changes.
const reloadEvery = time.Second

// watchConfig applies edits of the config file to the running pool until
// ctx ends, and with reloadOnHUP also reloads on SIGHUP. A broken edit keeps
// the running config; its error, with file:line:col, is shown in every view
// until the file is fixed.
//
// Only the daemon (serve) takes SIGHUP for reload. For the dashboard SIGHUP
// keeps its first meaning, the terminal went away: catching it would leave
// an orphaned dashboard probing forever after an SSH disconnect.
func watchConfig(ctx context.Context, path string, pool *probe.Pool, reloadOnHUP bool) {
	w := config.NewWatcher(path, reloadEvery)
	if reloadOnHUP {
		watchHUP(ctx, w)
	}
	w.Run(ctx, func(f *config.File, _ []config.Warning, err error) {
		if err != nil {
			pool.SetConfigError(err.Error())
			return
		}
		pool.Apply(f)
	})
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
