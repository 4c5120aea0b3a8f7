package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mcpwatch/mcpwatch/promsource"
	"github.com/mcpwatch/mcpwatch/sshserver"
	"github.com/mcpwatch/mcpwatch/tui"
)

// promFlags point the dashboard at Prometheus instead of a config: the
// joined, read-only view of many instances (docs/scale.md).
type promFlags struct {
	Prometheus             string        `placeholder:"URL" help:"Show the fleet as Prometheus has it (e.g. http://127.0.0.1:9090): the joined view of every shard and vantage point, read-only. No config is read."`
	Selector               string        `placeholder:"MATCHERS" help:"With --prometheus: label matchers that narrow every query to mcpwatch's series, e.g. '{job=\"mcpwatch\"}'."`
	PrometheusRefresh      time.Duration `default:"15s" help:"With --prometheus: how often the fleet is read."`
	PrometheusTimeout      time.Duration `default:"10s" help:"With --prometheus: how long one read may take."`
	PrometheusBearerFile   string        `placeholder:"FILE" help:"With --prometheus: file holding a bearer token for its API."`
	PrometheusBearerEnv    string        `placeholder:"VAR" help:"With --prometheus: env var holding a bearer token for its API."`
	PrometheusUser         string        `placeholder:"USER" help:"With --prometheus: HTTP Basic user for its API."`
	PrometheusPasswordFile string        `placeholder:"FILE" help:"With --prometheus-user: file holding the password."`
	PrometheusPasswordEnv  string        `placeholder:"VAR" help:"With --prometheus-user: env var holding the password."`
	PrometheusCA           string        `placeholder:"FILE" help:"With --prometheus: PEM CA certificates to trust for its HTTPS (instead of the system's)."`
	PrometheusCert         string        `placeholder:"FILE" help:"With --prometheus: PEM client certificate (mutual TLS), with --prometheus-key."`
	PrometheusKey          string        `placeholder:"FILE" help:"With --prometheus-cert: its PEM private key."`
	PrometheusServerName   string        `placeholder:"NAME" help:"With --prometheus: the TLS server name to expect, when the URL's host is not on its certificate."`
}

// source builds the Prometheus source; its errors are usage errors.
func (f *promFlags) source(e *env) (*promsource.Source, error) {
	return promsource.New(promsource.Options{
		URL: f.Prometheus, Selector: f.Selector, Refresh: f.PrometheusRefresh, Timeout: f.PrometheusTimeout,
		BearerFile: f.PrometheusBearerFile, BearerEnv: f.PrometheusBearerEnv,
		User: f.PrometheusUser, PasswordFile: f.PrometheusPasswordFile, PasswordEnv: f.PrometheusPasswordEnv,
		CAFile: f.PrometheusCA, CertFile: f.PrometheusCert, KeyFile: f.PrometheusKey, ServerName: f.PrometheusServerName,
		Getenv: e.getenv,
	})
}

// runPromDashboard is the dashboard over Prometheus: no pool, no config.
func runPromDashboard(e *env, vf viewFlags, pf promFlags) error {
	src, err := pf.source(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch: %v\n", err)
		return exitCode(ExitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.SetOutput(io.Discard)
	slog.SetDefault(slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	readCtx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { src.Run(readCtx) })

	opts := tui.Options{Color: vf.Color, NoColor: e.getenv("NO_COLOR") != "", ASCII: tui.ASCIIFromEnv(e.getenv)}
	profile := tui.ColorProfile(opts, colorprofile.Detect(os.Stdout, os.Environ()))
	prog := tea.NewProgram(tui.Latest(tui.New(src, opts)), tea.WithContext(ctx), tea.WithColorProfile(profile))
	if _, err := prog.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// servePromSSH serves the Prometheus view over SSH: a jump host serving the
// joined fleet, one source for every session.
func servePromSSH(e *env, c *serveCmd) error {
	src, err := c.promFlags.source(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch serve: %v\n", err)
		return exitCode(ExitUsage)
	}
	logger, ctx, stop := serveLogAndSignals(e) // serve.go
	defer stop()
	srv, err := sshserver.New(c.sshFlags.options(c.Color, src, logger))
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch serve: %v\n", err)
		return exitCode(ExitUsage)
	}
	var wg sync.WaitGroup
	readCtx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { src.Run(readCtx) })
	logger.Info("serving the fleet from Prometheus over SSH", "prometheus", c.Prometheus, "addr", srv.Addr().String())
	if serveHooks.started != nil {
		serveHooks.started(nil, srv.Addr()) // no pool: Prometheus checks nothing
	}
	if err := srv.Serve(ctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// promConflict is why the other flags cannot go with --prometheus, or "".
func promConflict(config, metrics string, inst instanceFlags, st stateFlags) string {
	switch {
	case st.StateDir != "" || st.NoState:
		return "--prometheus keeps no state (the instances it reads keep theirs): leave out --state-dir and --no-state"
	case config != "":
		return "--prometheus reads the fleet from Prometheus: leave out --config (the instances it scrapes have theirs)"
	case metrics != "":
		return "--prometheus shows what Prometheus has: --metrics would export nothing new; leave it out"
	case inst.Shard != "" || inst.Vantage != "":
		return "--shard and --vantage are for instances that check; a --prometheus view checks nothing"
	}
	return ""
}
