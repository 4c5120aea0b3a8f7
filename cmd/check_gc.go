package cmd

import "runtime/debug"

// sweepGCPercent is the GC target (GOGC) while check sweeps a large fleet.
const sweepGCPercent = 50

// sweepGCFrom is the fleet size from which the lower target pays. At
// 1,000 servers it saved 3 MB of a 34 MB peak for 18 % more CPU (6 runs
// each, alternating: 0.755 s against 0.640 s of CPU): not worth it.
const sweepGCFrom = 5000

// A smaller fleet's sweep may grow the heap by smallSweepHeadroom over
// what it keeps live (estimated: smallSweepBase plus smallSweepPerServer a
// server) before a collection, within GOGC 100 to 400. Its live heap is a
// few MB, so with GOGC 100 the collector ran every few MB allocated, about
// a dozen times in a sweep of 1,000 servers: most of the GC's CPU was its
// fixed cost per cycle. At 1,000 servers this is GOGC 300 (peak RSS about
// 34 -> 45 MB, for about a tenth less CPU; docs/performance.md); near
// 5,000 servers it is about 100, as before.
const (
	smallSweepHeadroom  = 24 << 20
	smallSweepBase      = 4 << 20
	smallSweepPerServer = 4 << 10
)

// sweepGCTarget is the GC target for a sweep of that many servers.
func sweepGCTarget(servers int) int {
	if servers >= sweepGCFrom {
		return sweepGCPercent
	}
	live := smallSweepBase + smallSweepPerServer*servers
	return min(400, max(100, 100*smallSweepHeadroom/live))
}

// sweepGC sets the garbage collector's target for a sweep and returns what
// restores it. A large fleet's live heap grows with the fleet (every
// server's pool entry and result: about 45 MB at 10,000 servers) and with
// the default GOGC of 100 the heap reaches twice that before a collection:
// about 100 MB, 125–135 MB of RSS. At 50 it is 1.5 times: about 107 MB of
// RSS, for about 5 % more CPU (the GC's share of the process, gctrace, went
// from 5–6 to 11–13 %). Unlike a memory limit it scales with any fleet and
// never makes the GC run back to back. A small fleet gets a higher target
// (sweepGCTarget). An operator's own GOGC or GOMEMLIMIT is left alone.
func sweepGC(servers int, getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(sweepGCTarget(servers))
	return func() { debug.SetGCPercent(old) }
}
