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
	Color          string        `enum:"auto,always,never" default:"auto" help:"Colour for every session: auto (from the session's terminal), always or never (a session's NO_COLOR also turns it off)."`
	Metrics        string        `placeholder:"ADDR" help:"Serve Prometheus /metrics and /healthz on ADDR (e.g. 127.0.0.1:9855); alone, serve runs headless."`
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
		metricsHandler = metrics.New(pool).Handler() // before pool.Run: it observes every result
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
		Logger:             logger,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch serve: %v\n", err)
		return exitCode(ExitUsage)
	}

	var wg sync.WaitGroup
	poolCtx, cancelPool := context.WithCancel(context.Background())
	wg.Go(func() { pool.Run(poolCtx) })
	wg.Go(func() { watchConfig(poolCtx, path, pool, true) })
	if metricsLn != nil {
		wg.Go(func() {
			if err := metrics.ServeOn(poolCtx, metricsLn, metricsHandler); err != nil {
				logger.Error("metrics server stopped; SSH goes on", "err", err)
			}
		})
	}
	defer func() { cancelPool(); wg.Wait() }() // after the sessions are gone

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
