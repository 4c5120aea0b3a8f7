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
				i, ok := q.next(ctx)
				if !ok {
					return
				}
				out[i], got[i] = p.sweepOne(ctx, picked[i])
				q.done(i)
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
// keeping at most perHost of one host out at once. The host semaphores of
// runCheck still hold the limit (checks from Run share them); this only
// keeps workers from waiting on them.
type sweepQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	entries []*entry
	perHost int
	pos     int              // next entry not yet looked at
	ready   []int            // set-aside entries whose host has room now (counted in busy)
	waiting map[string][]int // entries set aside, by host, in order
	parked  int              // entries in waiting
	busy    map[string]int   // entries handed out (or ready) per host
}

func newSweepQueue(entries []*entry, perHost int) *sweepQueue {
	q := &sweepQueue{entries: entries, perHost: max(perHost, 1), waiting: map[string][]int{}, busy: map[string]int{}}
	q.cond.L = &q.mu
	return q
}

// next returns the index of the entry to check next; false when none is
// left or ctx has ended.
func (q *sweepQueue) next(ctx context.Context) (int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if ctx.Err() != nil {
			return 0, false
		}
		if len(q.ready) > 0 {
			i := q.ready[0]
			q.ready = q.ready[1:]
			return i, true
		}
		for q.pos < len(q.entries) {
			i := q.pos
			q.pos++
			h := q.entries[i].host
			if q.busy[h] < q.perHost {
				q.busy[h]++
				return i, true
			}
			q.waiting[h] = append(q.waiting[h], i)
			q.parked++
		}
		if q.parked == 0 {
			return 0, false
		}
		q.cond.Wait() // until a check of a host with entries set aside ends
	}
}

// done frees entry i's place on its host, for the next entry set aside there.
func (q *sweepQueue) done(i int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.entries[i].host
	if w := q.waiting[h]; len(w) > 0 {
		q.ready = append(q.ready, w[0]) // takes over the place: busy stays
		q.parked--
		if len(w) == 1 {
			delete(q.waiting, h)
		} else {
			q.waiting[h] = w[1:]
		}
	} else if q.busy[h]--; q.busy[h] == 0 {
		delete(q.busy, h)
	}
	q.cond.Broadcast() // also wakes workers that must see ctx end
}
