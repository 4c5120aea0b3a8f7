package cmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/state"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// pinWait is how long `mcpwatch pin` waits for the mcpwatch holding the
// state dir to answer; it answers at its next write tick, about a second.
const pinWait = 10 * time.Second

type pinCmd struct {
	Server   []string `short:"s" placeholder:"NAME" help:"Only this server (repeatable; default: every server whose inventory changed)."`
	StateDir string   `placeholder:"DIR" help:"State dir holding the pins (default $XDG_STATE_HOME/mcpwatch, else ~/.local/state/mcpwatch)."`
}

// Run accepts the newest inventory of the named servers as their pin, so
// their inventory.changed warning clears. A running dashboard or serve holds
// the dir: the request goes to it, and it accepts as if `a` were pressed.
func (p *pinCmd) Run(e *env) error {
	dir := p.StateDir
	if dir == "" {
		if dir = state.DefaultDir(e.getenv); dir == "" {
			fmt.Fprintln(e.stderr, "mcpwatch pin: neither XDG_STATE_HOME nor HOME is set: pass --state-dir DIR")
			return exitCode(ExitUsage)
		}
	}
	out, err := state.PinInventory(dir, p.Server, pinWait)
	if errors.Is(err, state.ErrPinNotAnswered) {
		fmt.Fprintf(e.stderr, "mcpwatch pin: the mcpwatch using %s did not answer within %s (an older build, or a stuck one); if it is a dashboard, press a in the server's detail view there, otherwise stop it and run mcpwatch pin again\n",
			textsafe.Line(dir, 0), pinWait)
		return exitCode(ExitUsage)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch pin: %s\n", textsafe.Line(err.Error(), 0))
		return exitCode(ExitUsage)
	}
	for _, n := range out.Unknown {
		fmt.Fprintf(e.stderr, "mcpwatch pin: no inventory recorded for %s in %s\n", textsafe.Line(n, 0), textsafe.Line(dir, 0))
	}
	by := ""
	if out.RunningPID > 0 {
		by = fmt.Sprintf(" (by the running mcpwatch, pid %d)", out.RunningPID)
	}
	if len(out.Accepted) == 0 {
		fmt.Fprintf(e.stdout, "nothing to pin%s: no inventory changed since its pin\n", by)
	} else {
		names := make([]string, len(out.Accepted))
		for i, n := range out.Accepted {
			names[i] = textsafe.Line(n, 0)
		}
		fmt.Fprintf(e.stdout, "pinned the current inventory of %s%s\n", strings.Join(names, ", "), by)
	}
	if len(out.Unknown) > 0 { // a typo must not read as success to a script
		return exitCode(ExitUsage)
	}
	return nil
}
