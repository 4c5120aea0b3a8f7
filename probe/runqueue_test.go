package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// runPool runs pool until the test ends (or stop is called) and returns stop,
// which waits for Run to return.
func runPool(t *testing.T, pool *Pool) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// TestRunGoroutinesBounded: Run's first round, every server due at once,
// keeps as many checks out as the global limit allows, not a goroutine per
// server waiting for a slot (10,000 servers: 28 MB of stacks at serve's start).
func TestRunGoroutinesBounded(t *testing.T) {
	cfg, peak := goroutinesFleet(t)
	before := int64(runtime.NumGoroutine())
	pool := NewPool(cfg, NewChecker("test"))
	runPool(t, pool)
	waitFor(t, pool, func(s *Snapshot) bool {
		for _, st := range s.Servers {
			if st.Checks == 0 {
				return false
			}
		}
		return true
	})
	for _, st := range pool.Snapshot().Servers {
		if st.Last.Status != StatusHealthy {
			t.Fatalf("%s: %s %s", st.Name, st.Last.Status, st.Last.Message)
		}
	}
	if extra := peak.Load() - before; extra > 100 {
		t.Fatalf("%d goroutines more than before Run at its peak, for concurrency 4: one per server?", extra)
	}
}

// TestRunFullHostDoesNotHoldUpOthers: as TestSweepFullHostDoesNotHoldUpOthers,
// for Run: servers due on a host at its per_host limit wait without taking
// the slots servers of other hosts could use.
func TestRunFullHostDoesNotHoldUpOthers(t *testing.T) {
	cfg, free := fullHostFleet(t, "127.0.7.3", "127.0.7.4")
	pool := NewPool(cfg, NewChecker("test"))
	var fastDone atomic.Int64
	allFast := make(chan struct{})
	pool.Observe(func(r Result) {
		if r.Server[:4] == "fast" && fastDone.Add(1) == fast {
			close(allFast)
		}
	})
	runPool(t, pool)
	select {
	case <-allFast:
	case <-time.After(20 * time.Second):
		t.Fatalf("only %d of %d servers of the free host were checked while the full host's check ran", fastDone.Load(), fast)
	}
	free()
	waitFor(t, pool, func(s *Snapshot) bool {
		for _, st := range s.Servers {
			if st.Checks == 0 {
				return false
			}
		}
		return true
	})
}

// TestRunStopReleasesQueued: servers still waiting for a slot when Run ends
// are not left showing a check in flight, and a sweep waiting on one of
// them gets an answer.
func TestRunStopReleasesQueued(t *testing.T) {
	release := make(chan struct{})
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})).URL
	defer close(release)
	cfg := &config.File{Path: "test", Concurrency: 1, PerHost: 1}
	for i := range 5 {
		cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("s%d", i), url, time.Minute))
	}
	pool := NewPool(cfg, NewChecker("test"))
	stop := runPool(t, pool)
	waitFor(t, pool, func(s *Snapshot) bool { return s.Servers[4].Checking })
	swept := make(chan []Result, 1)
	go func() { swept <- pool.Sweep(context.Background(), "s4") }()
	time.Sleep(50 * time.Millisecond) // the sweep waits on s4's queued check
	stop()
	select {
	case res := <-swept:
		if res[0].Status != StatusUnknown {
			t.Fatalf("s4: %s, want unknown (Run ended before its check)", res[0].Status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a sweep waiting on a queued check never returned after Run ended")
	}
	for _, st := range pool.Snapshot().Servers {
		if st.Checking {
			t.Fatalf("%s still shows a check in flight after Run returned", st.Name)
		}
	}
}

// TestRunReloadRaisesPerHost: servers set aside under per_host 1 start at
// once when a reload raises the limit, not one by one as checks end.
func TestRunReloadRaisesPerHost(t *testing.T) {
	release := make(chan struct{})
	f := &inFlight{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server sees the client hang up
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	url := serve(t, f).URL
	defer close(release)
	limits := func(perHost int) *config.File {
		cfg := &config.File{Path: "test", Concurrency: 4, PerHost: perHost}
		for i := range 4 {
			cfg.Servers = append(cfg.Servers, sweepServer(fmt.Sprintf("s%d", i), url, time.Minute))
		}
		return cfg
	}
	pool := NewPool(limits(1), NewChecker("test"))
	runPool(t, pool)
	waitFor(t, pool, func(*Snapshot) bool { return f.now.Load() == 1 })
	pool.Apply(limits(4))
	deadline := time.Now().Add(10 * time.Second)
	for f.now.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d checks in flight after per_host went from 1 to 4, want 4", f.now.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHostSlotsReleased: a host's semaphore is kept only while checks of it
// wait or run.
func TestHostSlotsReleased(t *testing.T) {
	a := listenOn(t, "127.0.7.5", streamableHandler("a"))
	b := listenOn(t, "127.0.7.6", streamableHandler("b"))
	cfg := &config.File{Path: "test", Concurrency: 4, PerHost: 1, Servers: []config.Server{
		sweepServer("a1", a, time.Minute), sweepServer("a2", a, time.Minute), sweepServer("b", b, time.Minute)}}
	pool := NewPool(cfg, NewChecker("test"))
	for _, r := range pool.Sweep(context.Background()) {
		if r.Status != StatusHealthy {
			t.Fatalf("%s: %s %s", r.Server, r.Status, r.Message)
		}
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if len(pool.hosts) != 0 {
		t.Fatalf("%d hosts' semaphores kept after every check ended", len(pool.hosts))
	}
}
