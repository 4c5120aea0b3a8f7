package cmd

import (
	"runtime/debug"
	"testing"
)

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestSweepGC: a sweep of a large fleet collects garbage at half the
// heap's growth (what keeps check at 10,000 servers under 120 MB); a
// small one may grow the heap by 24 MiB over its live heap, within GOGC
// 100 to 400; one whose GC the operator set is left alone; and the
// setting is restored after.
func TestSweepGC(t *testing.T) {
	before := gcPercent()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		servers int
		env     map[string]string
		want    int
	}{
		{10, nil, 400},
		{1000, nil, 303},
		{2000, nil, 203},
		{sweepGCFrom - 1, nil, 102},
		{sweepGCFrom, nil, sweepGCPercent},
		{1000, map[string]string{"GOGC": "100"}, before},
		{10000, nil, sweepGCPercent},
		{10000, map[string]string{"GOGC": "200"}, before},
		{10000, map[string]string{"GOMEMLIMIT": "1GiB"}, before},
	} {
		restore := sweepGC(tc.servers, env(tc.env))
		if got := gcPercent(); got != tc.want {
			t.Errorf("%d servers, env %v: GOGC %d during the sweep, want %d", tc.servers, tc.env, got, tc.want)
		}
		restore()
		if got := gcPercent(); got != before {
			t.Fatalf("GOGC %d after, want %d restored", got, before)
		}
	}
}
