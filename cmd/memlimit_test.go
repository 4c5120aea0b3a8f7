package cmd

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// TestMemoryLimitFollowsLiveHeap: the limit is a quarter above the live heap
// plus the runtime's overhead and headroom, never under the floor; while the policy runs a limit is
// set, and it is lifted when its context ends.
func TestMemoryLimitFollowsLiveHeap(t *testing.T) {
	if got := memoryLimitFor(0, 1<<20); got != memFloor {
		t.Errorf("limit for an empty heap %d, want the floor %d", got, memFloor)
	}
	if got, want := memoryLimitFor(100<<20, 30<<20), int64(155<<20+memHeadroom); got != want {
		t.Errorf("limit for 100 MiB live and 30 MiB overhead: %d, want %d", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if !followLiveHeap(ctx, func(string) string { return "" }) {
		t.Fatal("the policy did not start")
	}
	if l := debug.SetMemoryLimit(-1); l == math.MaxInt64 {
		t.Error("no memory limit set")
	}
	cancel()
	for range 100 { // the goroutine lifts it once it sees ctx end
		if debug.SetMemoryLimit(-1) == math.MaxInt64 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the memory limit stayed after the policy ended")
}

// TestMemoryPolicyLeavesTheEnvironmentsAlone: GOMEMLIMIT or GOGC set by the
// operator turn the policy off.
func TestMemoryPolicyLeavesTheEnvironmentsAlone(t *testing.T) {
	for _, name := range []string{"GOMEMLIMIT", "GOGC"} {
		env := func(k string) string {
			if k == name {
				return "100"
			}
			return ""
		}
		if followLiveHeap(context.Background(), env) {
			t.Errorf("the policy ran with %s set", name)
		}
	}
}
