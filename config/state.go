package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is the history mcpwatch keeps in its state dir (events, results,
// uptime); the dir itself is chosen on the command line (--state-dir).
type State struct {
	// Retention is how long results and events are kept; 0 (not set)
	// means DefaultRetention.
	Retention time.Duration
}

// Retention bounds. Below an hour the uptime windows would outlive their
// data; past a year the file only grows.
const (
	DefaultRetention = 7 * 24 * time.Hour
	MinRetention     = time.Hour
	MaxRetention     = 366 * 24 * time.Hour
)

var stateKeys = []string{"retention"}

const retentionHint = "a duration like 7d, 36h or 90d, from 1h to 366d"

// decodeState reads the optional state: mapping.
func (d *decoder) decodeState(top *mapping, f *File) {
	sm, ok := top.mapping("state")
	if !ok {
		return
	}
	m := d.mappingAt("state", sm, stateKeys, false)
	s, e, ok := m.scalar("retention", "a duration")
	if !ok {
		return
	}
	v, err := parseRetention(s)
	switch {
	case err != nil:
		d.errorf(e.valPos, "state.retention", fmt.Sprintf("invalid duration %q", s), retentionHint)
	case v < MinRetention || v > MaxRetention:
		d.errorf(e.valPos, "state.retention", fmt.Sprintf("retention must be from 1h to 366d, got %q", s), retentionHint)
	default:
		f.State.Retention = v
	}
}

// parseRetention reads a Go duration, or a whole number of days ("7d") or
// weeks ("2w"), which Go durations lack and retention wants.
func parseRetention(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseUint(n, 10, 16)
			if err != nil {
				return 0, err
			}
			return time.Duration(v) * unit, nil
		}
	}
	return time.ParseDuration(s)
}
