package config

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
)

// BenchmarkParsePeakLive is the memory a config load needs, as an operator
// sees it: the most live heap at any moment of Parse (issue 12's "< 40 MB"
// at 10,000 servers), not the total it allocates, which the GC reclaims as
// it goes. The collector runs at GOGC=5, so a collection happens every 5 %
// of heap growth, and the live heap each one marks is read after it (a
// finalizer re-armed every cycle); the largest is reported as peak-live-MB,
// the File kept at the end as retained-MB. A slow benchmark by design:
// compare its memory figures, not its time.
func BenchmarkParsePeakLive(b *testing.B) {
	b.Setenv("MCPW_BENCH_SECRET", "s3cret")
	for _, n := range []int{1000, 10000} {
		data := benchConfig(n)
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			var peak, retained uint64
			for b.Loop() {
				var f *File
				p := peakLive(func() {
					var err error
					if f, _, err = Parse("bench.yaml", data); err != nil {
						b.Fatal(err)
					}
				})
				peak = max(peak, p)
				retained = max(retained, liveAfterGC()-baseLive)
				runtime.KeepAlive(f)
			}
			b.ReportMetric(float64(peak)/1e6, "peak-live-MB")
			b.ReportMetric(float64(retained)/1e6, "retained-MB")
		})
	}
}

// baseLive is the live heap before the load, set by peakLive.
var baseLive uint64

// peakLive runs f and returns the largest live heap, above what was live
// before it, that a collection found while f ran.
func peakLive(f func()) uint64 {
	old := debug.SetGCPercent(5)
	defer debug.SetGCPercent(old)
	baseLive = liveAfterGC()
	var (
		mu   sync.Mutex
		peak uint64
		done bool
	)
	type sentinel struct{ p *int }
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&sentinel{new(int)}, func(*sentinel) {
			mu.Lock()
			defer mu.Unlock()
			if done {
				return
			}
			peak = max(peak, readLive())
			arm()
		})
	}
	arm()
	f()
	runtime.GC() // the last cycle's live heap, f's result still referenced by the caller
	mu.Lock()
	done = true
	peak = max(peak, readLive())
	mu.Unlock()
	if peak < baseLive {
		return 0
	}
	return peak - baseLive
}

func liveAfterGC() uint64 {
	runtime.GC()
	return readLive()
}

func readLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
