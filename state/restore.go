package state

import (
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// Restorable picks from last the states a pool may take over with
// Pool.Restore: those of servers checked within maxGap(server) of now. A
// server last checked longer ago starts afresh; nobody knows what it did
// meanwhile, and "failing since last Tuesday" would claim what was never
// seen. A nil maxGap allows any gap.
func Restorable(last map[string]LastState, now time.Time, maxGap func(server string) time.Duration) map[string]probe.Restored {
	out := make(map[string]probe.Restored, len(last))
	for name, ls := range last {
		if ls.Since.IsZero() || ls.Status == "" || ls.Status == probe.StatusUnknown {
			continue
		}
		if maxGap != nil && now.Sub(ls.Seen) > maxGap(name) {
			continue
		}
		out[name] = probe.Restored{Status: ls.Status, Since: ls.Since}
	}
	return out
}
