package cmd

import (
	"context"
	"fmt"

	"github.com/mcpwatch/mcpwatch/demo"
)

type demoCmd struct {
	PrintConfig bool `help:"Print the config of the embedded fleet (secrets by reference) and exit."`
	viewFlags
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
	return runDashboard(e, fleet.Config(), d.viewFlags)
}
