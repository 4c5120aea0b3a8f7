package state

import "path/filepath"

// DefaultDir is where history lives without --state-dir:
// $XDG_STATE_HOME/mcpwatch, else $HOME/.local/state/mcpwatch (the XDG base
// directory spec's place for state that should survive a restart but is not
// worth a backup). A relative XDG_STATE_HOME is ignored, as the spec says.
// With neither set (a service without HOME) it returns "": there is no
// place to guess, and a relative path would land wherever the process
// happened to start.
func DefaultDir(getenv func(string) string) string {
	if dir := getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "mcpwatch")
	}
	if home := getenv("HOME"); home != "" && filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "mcpwatch")
	}
	return ""
}

// NoDefaultDir is the Notice of a store kept in memory because DefaultDir
// found no place.
const NoDefaultDir = "no state dir: neither XDG_STATE_HOME nor HOME is set (pass --state-dir DIR, or --no-state); " + memoryNote
