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

	"github.com/mcpwatch/mcpwatch/metrics"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/sshserver"
)

// serveCmd runs the probe pool headless and serves it: today the dashboard
// over SSH. It is wiring only; the server lives in sshserver.
type serveCmd struct {
	Config         string        `short:"c" placeholder:"FILE" help:"Config file (default $XDG_CONFIG_HOME/mcpwatch/config.yaml)."`
	SSH            string        `name:"ssh" placeholder:"ADDR" help:"Serve the dashboard over SSH on ADDR (e.g. :2222)."`
	HostKey        string        `placeholder:"FILE" help:"SSH host key; an ed25519 key is created there (mode 0600) when missing."`
	AuthorizedKeys string        `placeholder:"FILE" help:"OpenSSH authorized_keys file: the public keys let in (read again when it changes)."`
	MaxSessions    int           `default:"10" help:"SSH sessions served at once; one more is refused."`
	IdleTimeout    time.Duration `default:"10m" help:"Close an SSH connection after this long without traffic (0: never)."`
	MaxTimeout     time.Duration `default:"8h" help:"Close an SSH connection this long after it opened, busy or not (0: never)."`

	AuthTimeout                 time.Duration `default:"10s" help:"Close an SSH connection that has not finished the handshake and authentication this long after it opened."`
	MaxUnauthenticated          int           `default:"64" help:"SSH connections not yet authenticated, all sources together; more are closed at once."`
	MaxUnauthenticatedPerSource int           `default:"8" help:"SSH connections not yet authenticated from one source (an IPv4 address, an IPv6 /64)."`
	ConnectsPerMinute           int           `default:"30" help:"New SSH connections one source may open per minute (the burst is the same); more are closed at once."`

	Color   string `enum:"auto,always,never" default:"auto" help:"Colour for every session: auto (from the session's terminal), always or never (a session's NO_COLOR also turns it off)."`
	Metrics string `placeholder:"ADDR" help:"Serve Prometheus /metrics and /healthz on ADDR (e.g. 127.0.0.1:9855); alone, serve runs headless."`
	stateFlags
}

// serveHooks let tests run serve in-process: ctx replaces the signal
// context, started sees the pool and the address once serving.
var serveHooks struct {
	ctx     func() (context.Context, context.CancelFunc)
	started func(pool *probe.Pool, sshAddr net.Addr)
}

func (c *serveCmd) Run(e *env) error {
	usage := func(format string, args ...any) error {
		fmt.Fprintf(e.stderr, "mcpwatch serve: "+format+"\n", args...)
		return exitCode(ExitUsage)
	}
	switch {
	case c.SSH == "" && c.Metrics == "":
		return usage("nothing to serve: pass --ssh ADDR, --metrics ADDR, or both")
	case c.SSH == "":
	case c.HostKey == "":
		return usage("--ssh needs --host-key FILE (created when missing)")
	case c.AuthorizedKeys == "":
		return usage("--ssh needs --authorized-keys FILE (public-key login is the only way in)")
	case c.MaxSessions < 1:
		return usage("--max-sessions must be at least 1")
	case c.IdleTimeout < 0 || c.MaxTimeout < 0:
		return usage("timeouts cannot be negative")
	case c.AuthTimeout <= 0:
		return usage("--auth-timeout must be more than 0 (e.g. 10s)")
	case c.MaxUnauthenticated < 1:
		return usage("--max-unauthenticated must be at least 1")
	case c.MaxUnauthenticatedPerSource < 1:
		return usage("--max-unauthenticated-per-source must be at least 1")
	case c.ConnectsPerMinute < 1:
		return usage("--connects-per-minute must be at least 1")
	}
	cfg, path, err := loadConfigFlag(e, c.Config)
	if err != nil {
		return err
	}

	// stderr is the server's log. mcp-go logs through the standard logger;
	// that stays off, as in the dashboard.
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	log.SetOutput(io.Discard)
	slog.SetDefault(logger) // the SSH library reports recovered panics through it

	newCtx := func() (context.Context, context.CancelFunc) {
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	if serveHooks.ctx != nil {
		newCtx = serveHooks.ctx
	}
	ctx, stop := newCtx()
	defer stop()

	pool := probe.NewPool(cfg, probe.NewChecker(version()))
	hooks := &poolHooks{Pool: pool}
	history := openServeState(c.where(e, false), cfg, logger) // state.go
	defer history.Close()                                     // after the pool has stopped
	feedState(hooks, history, cfg)
	var metricsLn net.Listener
	if c.Metrics != "" {
		if metricsLn, err = metrics.Listen(ctx, c.Metrics); err != nil {
			fmt.Fprintf(e.stderr, "mcpwatch serve: %v\n", err)
			return exitCode(ExitUsage)
		}
		defer metricsLn.Close()
	}
	metricsHandler := http.Handler(nil)
	if metricsLn != nil {
		metricsHandler = metrics.New(hooks).Handler() // before pool.Run: it observes every result
	}
	if c.SSH == "" {
		return c.runHeadless(ctx, e, pool, path, metricsLn, metricsHandler, logger)
	}
	srv, err := sshserver.New(sshserver.Options{
		Addr:               c.SSH,
		HostKeyPath:        c.HostKey,
		AuthorizedKeysPath: c.AuthorizedKeys,
		MaxSessions:        c.MaxSessions,
		IdleTimeout:        c.IdleTimeout,
		MaxTimeout:         c.MaxTimeout,
		Color:              c.Color,
		Source:             pool, // one pool for every session
		History:            history,
		Logger:             logger,

		AuthTimeout:                 c.AuthTimeout,
		MaxUnauthenticated:          c.MaxUnauthenticated,
		MaxUnauthenticatedPerSource: c.MaxUnauthenticatedPerSource,
		ConnectsPerMinute:           c.ConnectsPerMinute,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch serve: %v\n", err)
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
	wg.Go(func() { watchConfig(poolCtx, path, pool, true) })
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
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// runHeadless probes and serves metrics only, until ctx ends: one of many
// instances behind one Prometheus.
func (c *serveCmd) runHeadless(ctx context.Context, e *env, pool *probe.Pool, path string,
	ln net.Listener, h http.Handler, logger *slog.Logger) error {
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(ctx) })
	wg.Go(func() { watchConfig(ctx, path, pool, true) })
	logger.Info("serving metrics", "addr", ln.Addr().String())
	err := metrics.ServeOn(ctx, ln, h)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// poolStopBy bounds how long after the signal serve waits for the pool (and
// the config watcher and metrics server) to stop. The SSH server's own
// shutdown is bounded at 3 seconds (sshserver); together they keep the
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
