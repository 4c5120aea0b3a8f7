package cmd

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/metrics"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/shard"
	"github.com/mcpwatch/mcpwatch/sshserver"
)

// serveCmd runs the probe pool headless and serves it: today the dashboard
// over SSH. It is wiring only; the server lives in sshserver.
type serveCmd struct {
	Config   string `short:"c" placeholder:"FILE" help:"Config file (default $XDG_CONFIG_HOME/mcpwatch/config.yaml)."`
	sshFlags        // sshflags.go, shared with demo --ssh

	Color   string `enum:"auto,always,never" default:"auto" help:"Colour for every session: auto (from the session's terminal), always or never (a session's NO_COLOR also turns it off)."`
	Metrics string `placeholder:"ADDR" help:"Serve Prometheus /metrics and /healthz on ADDR (e.g. 127.0.0.1:9855); alone, serve runs headless."`
	stateFlags
	instanceFlags // instance.go
	promFlags     // prometheus.go
}

// serveHooks let tests run serve in-process: ctx replaces the signal
// context, started sees the pool and the address once serving.
var serveHooks struct {
	ctx     func() (context.Context, context.CancelFunc)
	started func(pool *probe.Pool, sshAddr net.Addr)
	loaded  func(*config.File) // the config serve started with
}

func (c *serveCmd) Run(e *env) error {
	usage := func(format string, args ...any) error {
		fmt.Fprintf(e.stderr, "mcpwatch serve: "+format+"\n", args...)
		return exitCode(ExitUsage)
	}
	if c.Prometheus != "" {
		switch p := promConflict(c.Config, c.Metrics, c.instanceFlags, c.stateFlags); {
		case p != "":
			return usage("%s", p)
		case c.SSH == "":
			return usage("--prometheus serves the joined view over SSH: pass --ssh ADDR")
		}
		if p := c.sshFlags.problem(); p != "" {
			return usage("%s", p)
		}
		return servePromSSH(e, c)
	}
	if c.SSH == "" && c.Metrics == "" {
		return usage("nothing to serve: pass --ssh ADDR, --metrics ADDR, or both")
	}
	if p := c.sshFlags.problem(); p != "" {
		return usage("%s", p)
	}
	sh, err := c.instanceFlags.parse()
	if err != nil {
		return usage("%s", err)
	}
	cfg, path, err := loadConfigFlag(e, c.Config)
	if err != nil {
		return err
	}
	return serveFleet(e, serveSpec{cmd: "serve", cfg: cfg, path: path, ssh: c.sshFlags,
		color: c.Color, metrics: c.Metrics, state: c.where(e, false), shard: sh, vantage: c.Vantage})
}

// serveSpec is what serveFleet serves: serve's config, or the demo fleet.
type serveSpec struct {
	cmd     string // "serve" or "demo", for error messages
	cfg     *config.File
	path    string // the config file to watch and reload; "" for none
	ssh     sshFlags
	color   string // --color, for every SSH session
	metrics string // --metrics ADDR, or ""
	state   stateDir
	shard   shard.Shard // the share of cfg this instance checks
	vantage string      // --vantage, a label on what metrics exports
}

// serveFleet runs the probe pool over spec.cfg and serves it over SSH,
// Prometheus metrics or both, until SIGINT or SIGTERM.
func serveFleet(e *env, spec serveSpec) error {
	if serveHooks.loaded != nil {
		serveHooks.loaded(spec.cfg)
	}
	cfg := spec.shard.Filter(spec.cfg) // pool, state and events see this shard only
	logger, ctx, stop := serveLogAndSignals(e)
	defer stop()

	if spec.shard.Enabled() {
		logger.Info("checking one shard of the config", "shard", spec.shard.String(), "servers", len(cfg.Servers), "of", len(spec.cfg.Servers))
	}
	pool := probe.NewPool(cfg, probe.NewChecker(version()))
	hooks := &poolHooks{Pool: pool}
	history := openServeState(spec.state, cfg, logger) // state.go
	defer history.Close()                              // after the pool has stopped
	feedState(hooks, history, cfg)
	var metricsLn net.Listener
	if spec.metrics != "" {
		var err error
		if metricsLn, err = metrics.Listen(ctx, spec.metrics); err != nil {
			fmt.Fprintf(e.stderr, "mcpwatch %s: %v\n", spec.cmd, err)
			return exitCode(ExitUsage)
		}
		defer metricsLn.Close()
		logger.Info("serving metrics", "addr", metricsLn.Addr().String(), "paths", "/metrics /healthz")
	}
	metricsHandler := http.Handler(nil)
	if metricsLn != nil {
		in := metrics.Instance{Shard: spec.shard.String(), Vantage: spec.vantage}
		metricsHandler = metrics.NewInstance(hooks, in).Handler() // before pool.Run: it observes every result
	}
	var watcher *config.Watcher
	if spec.path != "" {
		watcher = newConfigWatcher(spec.path, spec.cfg)
	}
	cfg, spec.cfg = nil, nil // the pool holds the config now, and lets it go at a reload
	if spec.ssh.SSH == "" {
		followLiveHeap(ctx, e.getenv) // memlimit.go
		return runHeadless(ctx, spec, watcher, pool, metricsLn, metricsHandler, logger)
	}
	opts := spec.ssh.options(spec.color, pool, logger)
	opts.History = viewHistory{history}
	srv, err := sshserver.New(opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch %s: %v\n", spec.cmd, err)
		return exitCode(ExitUsage)
	}

	// On SIGTERM or SIGINT the pool stops at once, while the SSH server
	// says goodbye to its viewers (sessions only read snapshots, which stay
	// readable): the two take the longer of their times, not the sum.
	var wg sync.WaitGroup
	poolCtx, cancelPool := context.WithCancel(context.Background())
	stopping := make(chan time.Time, 1)
	go func() {
		select {
		case <-ctx.Done():
			stopping <- time.Now()
			cancelPool()
		case <-poolCtx.Done():
		}
	}()
	wg.Go(func() { pool.Run(poolCtx) })
	followLiveHeap(poolCtx, e.getenv) // memlimit.go
	if watcher != nil {
		wg.Go(func() { watchConfigLogging(poolCtx, watcher, spec.path, spec.shard, pool, true, logger) })
	}
	if metricsLn != nil {
		wg.Go(func() {
			if err := metrics.ServeOn(poolCtx, metricsLn, metricsHandler); err != nil {
				logger.Error("metrics server stopped; SSH goes on", "err", err)
			}
		})
	}
	defer func() {
		cancelPool()
		since := time.Now()
		select {
		case since = <-stopping:
		default: // Serve failed on its own
		}
		waitBounded(&wg, since.Add(poolStopBy), logger)
	}()

	if serveHooks.started != nil {
		serveHooks.started(pool, srv.Addr())
	}
	if err := srv.Serve(ctx); err != nil {
		return fmt.Errorf("%s: %w", spec.cmd, err)
	}
	return nil
}

// serveLogAndSignals makes stderr the server's log and returns the context
// that ends on SIGINT or SIGTERM (serveHooks.ctx's in tests). mcp-go logs
// through the standard logger; that stays off, as in the dashboard.
func serveLogAndSignals(e *env) (*slog.Logger, context.Context, context.CancelFunc) {
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	log.SetOutput(io.Discard)
	slog.SetDefault(logger) // the SSH library reports recovered panics through it
	if serveHooks.ctx != nil {
		ctx, stop := serveHooks.ctx()
		return logger, ctx, stop
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return logger, ctx, stop
}

// runHeadless probes and serves metrics only, until ctx ends: one of many
// instances behind one Prometheus.
func runHeadless(ctx context.Context, spec serveSpec, watcher *config.Watcher, pool *probe.Pool,
	ln net.Listener, h http.Handler, logger *slog.Logger) error {
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(ctx) })
	if watcher != nil {
		wg.Go(func() { watchConfigLogging(ctx, watcher, spec.path, spec.shard, pool, true, logger) })
	}
	err := metrics.ServeOn(ctx, ln, h)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("%s: %w", spec.cmd, err)
	}
	logger.Info("stopped")
	return nil
}

// poolStopBy bounds how long after the signal serve waits for the pool (and
// the config watcher and metrics server) to stop. The SSH server's own
// shutdown is bounded at 4 seconds (sshserver); together they keep the
// process within 5 seconds of SIGTERM.
const poolStopBy = 4500 * time.Millisecond

// waitBounded waits for wg until the deadline; what is still running then
// is logged and left behind (the process is about to exit).
func waitBounded(wg *sync.WaitGroup, deadline time.Time, logger *slog.Logger) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		logger.Error("the probe pool did not stop in time; exiting without it")
	}
}
