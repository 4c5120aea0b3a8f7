package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
)

// Options are the choices cmd makes for a dashboard.
type Options struct {
	Color   string           // "auto" | "always" | "never"; empty means auto
	NoColor bool             // NO_COLOR is set: forces never, whatever Color says
	ASCII   bool             // draw ASCII glyphs only: the locale is not UTF-8
	Now     func() time.Time // the clock; nil means time.Now (tests pin it)
	// History is the state store's event timeline and uptime; nil when
	// history is off (the events view then says so).
	History History
	// AcceptPins lets a in the detail view pin a server's current
	// inventory (the Source must be an InventoryAccepter). The local
	// dashboard sets it; SSH sessions do not: a viewer's key grants
	// watching, not deciding what the fleet trusts.
	AcceptPins bool
}

// useColor reports whether the model paints with colour at all. "auto" and
// "always" both paint; what the terminal can show is the renderer's business
// (see ColorProfile).
func (o Options) useColor() bool {
	return !o.NoColor && o.Color != "never"
}

// ColorProfile is the profile a program should render with, given what was
// detected for the session's terminal: "never" (or NO_COLOR) keeps text
// attributes but no colour, "always" guarantees at least 256 colours even when
// the output is not a terminal, "auto" trusts detection. cmd passes the result
// to tea.WithColorProfile; detect from the session's own output and
// environment (over SSH, the client's pty), never from the server's stdout.
func ColorProfile(o Options, detected colorprofile.Profile) colorprofile.Profile {
	switch {
	case !o.useColor():
		return min(detected, colorprofile.ASCII)
	case o.Color == "always":
		return max(detected, colorprofile.ANSI256)
	}
	return detected
}

// ASCIIFromEnv reports whether the locale in the environment lacks UTF-8, in
// which case the dashboard should draw ASCII glyphs. It follows POSIX
// precedence: LC_ALL, then LC_CTYPE, then LANG; the first one set decides.
// With none set the locale is "C", which is ASCII.
func ASCIIFromEnv(getenv func(string) string) bool {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(name); v != "" {
			v = strings.ToLower(v)
			return !strings.Contains(v, "utf-8") && !strings.Contains(v, "utf8")
		}
	}
	return true
}
