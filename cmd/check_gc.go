package cmd

import "runtime/debug"

// sweepGCPercent is the GC target (GOGC) while check sweeps a large fleet.
const sweepGCPercent = 50

// sweepGCFrom is the fleet size from which the lower target pays. At
// 1,000 servers it saved 3 MB of a 34 MB peak for 18 % more CPU (6 runs
// each, alternating: 0.755 s against 0.640 s of CPU): not worth it.
const sweepGCFrom = 5000

// sweepGC lowers the garbage collector's target for a sweep of
// sweepGCFrom servers or more, and returns what restores it. The sweep's live heap
// grows with the fleet (every server's pool entry and result: about 45 MB
// at 10,000 servers) and with the default GOGC of 100 the heap reaches
// twice that before a collection: about 100 MB, 125–135 MB of RSS. At 50
// it is 1.5 times: about 107 MB of RSS, for about 5 % more CPU (the GC's
// share of the process, gctrace, went from 5–6 to 11–13 %). Unlike a memory limit it scales
// with any fleet and never makes the GC run back to back. An operator's
// own GOGC or GOMEMLIMIT is left alone.
func sweepGC(servers int, getenv func(string) string) (restore func()) {
	if servers < sweepGCFrom || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(sweepGCPercent)
	return func() { debug.SetGCPercent(old) }
}
