package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/demo"
)

type demoCmd struct {
	PrintConfig bool          `help:"Print the config of the embedded fleet (secrets by reference) and exit."`
	Copies      int           `default:"1" help:"Watch each demo server this many times (a bigger dashboard, same servers)."`
	Interval    time.Duration `default:"5s" help:"How often each demo server is checked."`
	viewFlags
	stateFlags
	sshFlags // sshflags.go: --ssh ADDR serves the demo fleet over SSH, as serve --ssh does a config
}

// Run starts the embedded fleet on loopback and opens the dashboard on it.
// The probe engine runs exactly as it does against a real fleet.
func (d *demoCmd) Run(e *env) error {
	fleet, err := demo.Start(context.Background())
	if err != nil {
		return fmt.Errorf("demo: starting the embedded fleet: %w", err)
	}
	defer fleet.Close()
	if d.PrintConfig {
		_, err := e.stdout.Write(fleet.YAML())
		return err
	}
	if d.Copies < 1 || d.Copies > 1000 {
		fmt.Fprintln(e.stderr, "mcpwatch demo: --copies must be between 1 and 1000")
		return exitCode(ExitUsage)
	}
	if d.Interval < time.Second {
		fmt.Fprintln(e.stderr, "mcpwatch demo: --interval must be at least 1s")
		return exitCode(ExitUsage)
	}
	if p := d.sshFlags.problem(); p != "" {
		fmt.Fprintln(e.stderr, "mcpwatch demo: "+p)
		return exitCode(ExitUsage)
	}
	cfg := multiply(fleet.Config(), d.Copies)
	for i := range cfg.Servers {
		cfg.Servers[i].Interval = d.Interval
	}
	if d.SSH != "" {
		return serveFleet(e, serveSpec{cmd: "demo", cfg: cfg, ssh: d.sshFlags, color: d.Color, metrics: d.Metrics, state: d.where(e, true)})
	}
	return runDashboard(e, cfg, d.viewFlags, "", d.where(e, true))
}

// multiply lists every server n times under numbered names.
func multiply(cfg *config.File, n int) *config.File {
	if n == 1 {
		return cfg
	}
	orig := cfg.Servers
	cfg.Servers = make([]config.Server, 0, len(orig)*n)
	for i := 1; i <= n; i++ {
		for _, s := range orig {
			s.Name = fmt.Sprintf("%s-%d", s.Name, i)
			cfg.Servers = append(cfg.Servers, s)
		}
	}
	return cfg
}
