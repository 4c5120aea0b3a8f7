package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/metrics"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/textsafe"
	"github.com/mcpwatch/mcpwatch/tui"
)

// viewFlags are the display choices shared by the dashboard and the demo.
type viewFlags struct {
	Color   string `enum:"auto,always,never" default:"auto" help:"Colour: auto, always or never (NO_COLOR also turns it off)."`
	Metrics string `placeholder:"ADDR" help:"Also serve Prometheus /metrics and /healthz on ADDR, e.g. 127.0.0.1:9855."`
}

type dashboardCmd struct {
	Config string `short:"c" placeholder:"FILE" help:"Config file (default $XDG_CONFIG_HOME/mcpwatch/config.yaml)."`
	viewFlags
	stateFlags
	promFlags // prometheus.go
}

func (d *dashboardCmd) Run(e *env) error {
	if d.Prometheus != "" {
		if p := promConflict(d.Config, d.Metrics, instanceFlags{}, d.stateFlags); p != "" {
			fmt.Fprintf(e.stderr, "mcpwatch: %s\n", p)
			return exitCode(ExitUsage)
		}
		return runPromDashboard(e, d.viewFlags, d.promFlags)
	}
	cfg, path, err := loadConfigFlag(e, d.Config)
	if err != nil {
		return err
	}
	return runDashboard(e, cfg, d.viewFlags, path, d.where(e, false))
}

// loadConfigFlag loads the file a --config flag names, or the default one,
// and returns the path it used (the reload watcher needs it).
func loadConfigFlag(e *env, flag string) (*config.File, string, error) {
	path := flag
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, err := loadConfig(e, path)
	return cfg, path, err
}

// loadConfig loads a config file, printing warnings, and turns errors into exit code 2.
func loadConfig(e *env, path string) (*config.File, error) {
	cfg, warnings, err := config.Load(path)
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			fmt.Fprintf(e.stderr, "%s\n%d problem(s) in %s; fix them and run again.\n", errs.Error(), len(errs), textsafe.Line(path, 0))
			return nil, exitCode(ExitUsage)
		}
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(e.stderr, "mcpwatch: no config at %s.\nCreate one (see docs/config.md, or start from 'mcpwatch config import'), "+
				"or pass --config FILE. To try mcpwatch without one: 'mcpwatch demo'.\n", textsafe.Line(path, 0))
		} else {
			fmt.Fprintf(e.stderr, "mcpwatch: %s\n", textsafe.Line(err.Error(), 0))
		}
		return nil, exitCode(ExitUsage)
	}
	releaseLoadMemory(cfg)
	return cfg, nil
}

// releaseLoadMemory hands the memory that loading a large config took back
// to the OS. The YAML parser's tokens and tree are garbage once the config
// is decoded, but their pages stay mapped, and what the sweep allocates next
// mostly does not fit in them: at 10,000 servers peak RSS was the two
// added up (about 220 MB instead of 150). One forced GC is a few ms.
func releaseLoadMemory(cfg *config.File) {
	if len(cfg.Servers) >= 1000 {
		debug.FreeOSMemory()
	}
}

// runDashboard runs the probe pool and the dashboard over it until the user
// quits. With a watchPath, edits of that file are applied live. History is
// kept where sd says.
func runDashboard(e *env, cfg *config.File, vf viewFlags, watchPath string, sd stateDir) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The dashboard owns the terminal: library logs must not scribble on it.
	log.SetOutput(io.Discard)
	slog.SetDefault(slog.New(slog.DiscardHandler))

	pool := probe.NewPool(cfg, probe.NewChecker(version()))
	hooks := &poolHooks{Pool: pool}
	history := openState(sd, cfg, nil)
	defer func() {
		_ = history.Close() // after the pool has stopped: its last results are written
		if n := history.Notice(); n != "" {
			fmt.Fprintf(e.stderr, "mcpwatch: %s\n", textsafe.Line(n, 0))
		}
		if n := history.InventoryNote(); n != "" {
			fmt.Fprintf(e.stderr, "mcpwatch: %s\n", textsafe.Line(n, 0))
		}
	}()
	feedState(hooks, history, cfg)
	var wg sync.WaitGroup
	poolCtx, cancelPool := context.WithCancel(ctx)
	defer func() { cancelPool(); wg.Wait() }()
	if vf.Metrics != "" {
		// Bind before the screen is taken over, so a taken port is a plain error.
		ln, err := metrics.Listen(ctx, vf.Metrics)
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpwatch: %v\n", err)
			return exitCode(ExitUsage)
		}
		h := metrics.New(hooks).Handler()
		wg.Add(1)
		go func() { defer wg.Done(); _ = metrics.ServeOn(poolCtx, ln, h) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); pool.Run(poolCtx) }()
	followLiveHeap(poolCtx, e.getenv) // memlimit.go
	if watchPath != "" {
		w := newConfigWatcher(watchPath, cfg)
		wg.Add(1)
		go func() { defer wg.Done(); watchConfig(poolCtx, w, pool, false) }()
	}
	cfg = nil // the pool holds the config now, and lets it go at a reload

	opts := tui.Options{Color: vf.Color, NoColor: e.getenv("NO_COLOR") != "", ASCII: tui.ASCIIFromEnv(e.getenv), History: viewHistory{history}, AcceptPins: true}
	profile := tui.ColorProfile(opts, colorprofile.Detect(os.Stdout, os.Environ()))
	prog := tea.NewProgram(tui.Latest(tui.New(pool, opts)), tea.WithContext(ctx), tea.WithColorProfile(profile))
	if _, err := prog.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
