package state

import (
	"os"
	"path/filepath"
)

// DefaultDir is where history lives without --state-dir:
// $XDG_STATE_HOME/mcpwatch, else ~/.local/state/mcpwatch (the XDG base
// directory spec's place for state that should survive a restart but is not
// worth a backup). A relative XDG_STATE_HOME is ignored, as the spec says.
func DefaultDir(getenv func(string) string) string {
	if dir := getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "mcpwatch")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return filepath.Join(".local", "state", "mcpwatch")
	}
	return filepath.Join(home, ".local", "state", "mcpwatch")
}
