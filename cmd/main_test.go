package cmd

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives every test, and every process a test starts, a state dir
// of its own: the dashboard and serve write history to
// $XDG_STATE_HOME/mcpwatch by default, and a test must not write into the
// home of whoever runs it.
func TestMain(m *testing.M) {
	if os.Getenv("MCPWATCH_TEST_STATE_HOME") == "" { // not in a child a test started
		dir, err := os.MkdirTemp("", "mcpwatch-cmd-state-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Setenv("XDG_STATE_HOME", dir)
		os.Setenv("MCPWATCH_TEST_STATE_HOME", dir)
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}
