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
// memory limit a quarter above it, plus the runtime's own overhead: the
// runtime collects sooner and returns freed pages to the OS to stay under it. Nothing changes while the fleet
// is idle (little is allocated); during a sweep the collector runs more
// often (docs/performance.md has what that costs). GOMEMLIMIT or GOGC in
// the environment is the operator's own policy and turns this off.

const (
	memHeadroom = 8 << 20                // the next few MB of garbage
	memFloor    = 64 << 20               // below this the limit would only cost CPU
	memEvery    = 100 * time.Millisecond // the live heap moves at each collection: a limit left behind it while the heap grows (a sweep) makes the collector run back to back
)

// memoryLimitFor is the limit for a live heap of live bytes beside
// overhead bytes the limit counts too (stacks, runtime metadata, the unused
// parts of heap spans). Without the overhead in it, the heap's goal fell
// below the live heap and the collector ran back to back.
func memoryLimitFor(live, overhead uint64) int64 {
	return int64(max(memFloor, overhead+live+live/4+memHeadroom))
}

// memSamples are what the policy reads: the live heap, and what makes the
// overhead (all the runtime holds but the heap's objects and its free or
// released pages).
var memSamples = []string{"/gc/heap/live:bytes", "/memory/classes/total:bytes", "/memory/classes/heap/released:bytes",
	"/memory/classes/heap/free:bytes", "/memory/classes/heap/objects:bytes"}

// followLiveHeap sets the memory limit from the live heap every memEvery
// until ctx ends, then lifts it. It does nothing when the environment sets
// GOMEMLIMIT or GOGC; it reports whether it runs.
func followLiveHeap(ctx context.Context, getenv func(string) string) bool {
	if getenv("GOMEMLIMIT") != "" || getenv("GOGC") != "" {
		return false
	}
	sample := make([]metrics.Sample, len(memSamples))
	for i, name := range memSamples {
		sample[i].Name = name
	}
	set := func() {
		metrics.Read(sample)
		var v [5]uint64
		for i := range sample {
			if sample[i].Value.Kind() != metrics.KindUint64 {
				return // not this runtime's metric: leave the limit alone
			}
			v[i] = sample[i].Value.Uint64()
		}
		overhead := v[1] - min(v[1], v[2]+v[3]+v[4])
		debug.SetMemoryLimit(memoryLimitFor(v[0], overhead))
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
