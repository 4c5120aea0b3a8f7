package cmd

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// A long-running pool (serve, the dashboard) keeps what it holds close to
// what it uses. With the Go defaults alone the heap grows to twice the live
// set before a collection, and the pages a collection frees stay mapped
// until the background scavenger slowly returns them: at 10,000 servers
// serve's peak RSS was two and a half times its live heap. The policy
// follows the live heap (as the last collection measured it) with a soft
// memory limit a quarter above it: the runtime collects sooner and returns
// freed pages to the OS to stay under it. Nothing changes while the fleet
// is idle (little is allocated); during a sweep the collector runs more
// often (docs/performance.md has what that costs). GOMEMLIMIT or GOGC in
// the environment is the operator's own policy and turns this off.

const (
	memHeadroom = 24 << 20 // stacks, runtime metadata and the next few MB of garbage
	memFloor    = 64 << 20 // below this the limit would only cost CPU
	memEvery    = time.Second
)

// memoryLimitFor is the limit for a live heap of live bytes.
func memoryLimitFor(live uint64) int64 {
	return int64(max(memFloor, live+live/4+memHeadroom))
}

// followLiveHeap sets the memory limit from the live heap every memEvery
// until ctx ends, then lifts it. It does nothing when the environment sets
// GOMEMLIMIT or GOGC; it reports whether it runs.
func followLiveHeap(ctx context.Context, getenv func(string) string) bool {
	if getenv("GOMEMLIMIT") != "" || getenv("GOGC") != "" {
		return false
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(memoryLimitFor(sample[0].Value.Uint64()))
		}
	}
	set()
	go func() {
		t := time.NewTicker(memEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				debug.SetMemoryLimit(math.MaxInt64)
				return
			case <-t.C:
				set()
			}
		}
	}()
	return true
}
