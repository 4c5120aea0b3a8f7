package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

const benchServers = 10_000

// BenchmarkRecordResult is what the store costs the pool per result: the
// hook runs on the goroutine that finished the check.
// The queue is emptied every 10,000 results outside the timer, as the
// writer goroutine empties it every second.
func BenchmarkRecordResult(b *testing.B) {
	s := Open(Options{Dir: b.TempDir(), FlushEvery: time.Hour})
	defer s.Close()
	res := result("server-0042", time.Now(), probe.StatusHealthy)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s.RecordResult(res)
		if n++; n%10_000 == 0 {
			b.StopTimer()
			s.Flush()
			b.StartTimer()
		}
	}
}

// BenchmarkHistoryWrites10k is one interval of a 10,000-server fleet (every
// server checked once, as every 30 s) going through the store: queued,
// applied to memory and written in batches of what a second brings, the way
// the writer goroutine does it. The snapshot of uptime buckets (every 30 s)
// is part of each sweep. Reported: time per sweep, and disk bytes per result.
func BenchmarkHistoryWrites10k(b *testing.B) {
	for _, where := range []string{"memory", "disk"} {
		b.Run(where, func(b *testing.B) {
			dir := ""
			if where == "disk" {
				dir = filepath.Join(b.TempDir(), "state")
			}
			c := newClock(time.Now())
			s := Open(Options{Dir: dir, FlushEvery: time.Hour, now: c.now})
			defer s.Close()
			names := make([]string, benchServers)
			for i := range names {
				names[i] = fmt.Sprintf("server-%05d", i)
			}
			perSecond := benchServers / 30
			b.ReportAllocs()
			sweeps := 0
			for b.Loop() {
				for i, name := range names {
					st := probe.StatusHealthy
					if i%50 == 0 {
						st = probe.StatusUnhealthy
					}
					r := result(name, c.now(), st)
					if st != probe.StatusHealthy {
						r.Class = "connect.refused"
					}
					s.RecordResult(r)
					if (i+1)%perSecond == 0 {
						c.add(time.Second)
						s.Flush()
					}
				}
				s.Flush()
				sweeps++
			}
			b.StopTimer()
			if dir != "" {
				_ = s.Close()
				if fi, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
					b.ReportMetric(float64(fi.Size())/float64(sweeps*benchServers), "file-bytes/result")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(sweeps)/1000, "ms/sweep")
		})
	}
}

// BenchmarkSweepWithStore is a pool sweeping 10,000 servers with a store
// on its hooks, alternated with a pool without one in the same loop, so
// that the machine's drift falls on both alike. The servers are disabled
// (skipped without a connection): a sweep is as cheap as the pool can make
// it, and the store's share as large as it can be. Reported: ms per sweep
// of each, and their ratio.
func BenchmarkSweepWithStore(b *testing.B) {
	cfg := &config.File{Path: "bench", Concurrency: 32, PerHost: 4}
	for i := range benchServers {
		cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("server-%05d", i), URL: "http://127.0.0.1:9/mcp",
			Transport: config.TransportHTTP, Disabled: true, Interval: 30 * time.Second, Timeout: time.Second, Slow: time.Second})
	}
	bare := probe.NewPool(cfg, probe.NewChecker("bench"))
	fed := probe.NewPool(cfg, probe.NewChecker("bench"))
	s := Open(Options{Dir: filepath.Join(b.TempDir(), "state")})
	defer s.Close()
	fed.Observe(s.RecordResult)
	fed.OnEvent(s.RecordEvent)
	var without, with time.Duration
	n := 0
	sweep := func(p *probe.Pool) time.Duration {
		start := time.Now()
		p.Sweep(context.Background())
		return time.Since(start)
	}
	for b.Loop() {
		if n%2 == 0 { // which goes first alternates too
			without += sweep(bare)
			with += sweep(fed)
		} else {
			with += sweep(fed)
			without += sweep(bare)
		}
		n++
	}
	b.ReportMetric(float64(without.Milliseconds())/float64(n), "ms/sweep-without")
	b.ReportMetric(float64(with.Milliseconds())/float64(n), "ms/sweep-with")
	b.ReportMetric(float64(with)/float64(without), "ratio")
}
