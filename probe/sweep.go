package probe

import (
	"context"
	"sync"
)

// Sweep checks every server once (or only those named) under the pool's
// limits and returns the results in config order. It is what `check` runs.
//
// As many workers as the global limit allows take the servers in config
// order and check them. A goroutine per server, each waiting for a slot,
// cost a 10,000-server sweep 10,000 stacks (tens of MB, grown ones stay
// grown) for 32 checks in flight. A server whose host is at its per_host
// limit is set aside until a check of that host ends, so it holds up no
// worker that servers of other hosts could use.
func (p *Pool) Sweep(ctx context.Context, names ...string) []Result {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	p.mu.Lock()
	var picked []*entry
	for _, e := range p.entries {
		if len(want) == 0 || want[e.srv.Name] {
			picked = append(picked, e)
		}
	}
	workers, perHost := min(cap(p.global), len(picked)), p.perHost
	p.mu.Unlock()

	out := make([]Result, len(picked))
	got := make([]bool, len(picked))
	q := newSweepQueue(picked, perHost)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next, ok := q.next(ctx)
				if !ok {
					return
				}
				i := next.item
				out[i], got[i] = p.sweepOne(ctx, picked[i])
				q.done(next.host)
			}
		}()
	}
	wg.Wait()
	for i, e := range picked {
		if !got[i] {
			out[i] = Result{Server: e.srv.Name, Status: StatusUnknown, Message: "interrupted before the check finished"}
		}
	}
	return out
}

// sweepOne checks e on the calling goroutine, or, when a check of e is
// already in flight (Run, a recheck), waits for that one's result.
func (p *Pool) sweepOne(ctx context.Context, e *entry) (Result, bool) {
	p.mu.Lock()
	if e.checking {
		ch := make(chan Result, 1)
		e.done = append(e.done, ch)
		p.mu.Unlock()
		res, ok := <-ch
		return res, ok
	}
	e.checking = true
	p.version++
	p.mu.Unlock()
	return p.runCheck(ctx, e)
}

// sweepQueue hands a sweep's servers to its workers in config order,
// keeping at most perHost of one host out at once (hostQueue). The host
// semaphores of runCheck still hold the limit (checks from Run share them);
// this only keeps workers from waiting on them.
type sweepQueue struct {
	mu   sync.Mutex
	cond sync.Cond
	q    hostQueue[int] // indices into the sweep's entries
}

func newSweepQueue(entries []*entry, perHost int) *sweepQueue {
	s := &sweepQueue{q: newHostQueue[int](perHost)}
	s.cond.L = &s.mu
	for i, e := range entries {
		s.q.push(i, e.host)
	}
	return s
}

// next returns the index of the entry to check next and the host it counts
// under; false when none is left or ctx has ended.
func (s *sweepQueue) next(ctx context.Context) (queued[int], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if ctx.Err() != nil {
			return queued[int]{}, false
		}
		if next, ok := s.q.take(); ok {
			return next, true
		}
		if s.q.parked == 0 {
			return queued[int]{}, false
		}
		s.cond.Wait() // until a check of a host with entries set aside ends
	}
}

// done frees the place on host, for the next entry set aside there.
func (s *sweepQueue) done(host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.q.done(host)
	s.cond.Broadcast() // also wakes workers that must see ctx end
}
