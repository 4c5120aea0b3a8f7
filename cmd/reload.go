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

// watchConfig applies edits of the config file (and SIGHUP) to the running
// pool until ctx ends. A broken edit keeps the running config; its error,
// with file:line:col, is shown in every view until the file is fixed.
func watchConfig(ctx context.Context, path string, pool *probe.Pool) {
	w := config.NewWatcher(path, reloadEvery)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				w.Trigger()
			}
		}
	}()
	w.Run(ctx, func(f *config.File, _ []config.Warning, err error) {
		if err != nil {
			pool.SetConfigError(err.Error())
			return
		}
		pool.Apply(f)
	})
}
