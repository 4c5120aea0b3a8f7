package probe

import (
	"context"

	"github.com/mcpwatch/mcpwatch/oauth"
)

// runQueue holds the servers Run has marked as checking until a worker takes
// them (guarded by Pool.mu). At serve's start every server is due at once:
// a goroutine per server waiting for a slot cost 10,000 servers 28 MB of
// stacks (and a third of serve's peak RSS) for 32 checks in flight. Run
// keeps at most the global limit of workers; a server whose host already
// has per_host of Run's checks out is set aside until one of them ends, so
// it holds up no worker that other hosts could use. The semaphores of
// runCheck still bound what is in flight (Sweep and a reload's new limits
// share them); this only keeps goroutines from waiting on them.
type runQueue struct {
	ready   []queued            // first come, first taken; counted in busy
	waiting map[string][]*entry // set aside, by host, in order
	busy    map[string]int      // Run's checks out (or ready) per host
	perHost int                 // the limit entries were set aside under
	workers int
}

// queued is an entry and the host it was counted under (a reload may move
// the entry to another host while it waits).
type queued struct {
	e    *entry
	host string
}

// push queues e, counted under its host now.
func (q *runQueue) push(e *entry, perHost int) {
	if q.busy == nil {
		q.busy, q.waiting = map[string]int{}, map[string][]*entry{}
	}
	q.perHost = perHost
	if q.busy[e.host] < perHost {
		q.busy[e.host]++
		q.ready = append(q.ready, queued{e, e.host})
		return
	}
	q.waiting[e.host] = append(q.waiting[e.host], e)
}

// take returns the next entry to check.
func (q *runQueue) take() (queued, bool) {
	if len(q.ready) == 0 {
		return queued{}, false
	}
	next := q.ready[0]
	q.ready[0] = queued{}
	q.ready = q.ready[1:]
	if len(q.ready) == 0 {
		q.ready = nil // let the first round's backing array go
	}
	return next, true
}

// done frees a place on host: the first entry set aside there takes it over.
func (q *runQueue) done(host string) {
	if w := q.waiting[host]; len(w) > 0 {
		q.ready = append(q.ready, queued{w[0], host})
		if len(w) == 1 {
			delete(q.waiting, host)
		} else {
			q.waiting[host] = w[1:]
		}
		return
	}
	if q.busy[host]--; q.busy[host] <= 0 {
		delete(q.busy, host)
	}
}

// relimit moves entries set aside to ready while their host has room under
// a new per_host limit (a reload raised it).
func (q *runQueue) relimit(perHost int) {
	q.perHost = perHost
	for h, w := range q.waiting {
		for len(w) > 0 && q.busy[h] < perHost {
			q.busy[h]++
			q.ready = append(q.ready, queued{w[0], h})
			w = w[1:]
		}
		if len(w) == 0 {
			delete(q.waiting, h)
		} else {
			q.waiting[h] = w
		}
	}
}

// drain empties the queue and returns what waited in it.
func (q *runQueue) drain() []*entry {
	var out []*entry
	for _, r := range q.ready {
		out = append(out, r.e)
	}
	for _, w := range q.waiting {
		out = append(out, w...)
	}
	q.ready, q.waiting = nil, map[string][]*entry{} // busy stays: the workers out still report done
	return out
}

// enqueueLocked queues e (marked checking) and starts workers for it.
func (p *Pool) enqueueLocked(ctx context.Context, e *entry) {
	p.runq.push(e, p.perHost)
	p.staffLocked(ctx)
}

// staffLocked starts workers while entries are ready and fewer than the
// global limit run; after a reload it first applies new limits.
func (p *Pool) staffLocked(ctx context.Context) {
	if p.runq.perHost != p.perHost && len(p.runq.waiting) > 0 {
		p.runq.relimit(p.perHost)
	}
	// A worker never idles (it ends when nothing is ready), so every entry
	// ready may get one; one too many ends at once.
	for n := len(p.runq.ready); n > 0 && p.runq.workers < cap(p.global); n-- {
		p.runq.workers++
		p.wg.Add(1)
		go p.work(ctx)
	}
}

// work checks queued entries until none is ready (or ctx ends: Run then
// releases what is left).
func (p *Pool) work(ctx context.Context) {
	defer p.wg.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	for ctx.Err() == nil && p.runq.workers <= cap(p.global) { // a reload may lower the limit
		next, ok := p.runq.take()
		if !ok {
			break
		}
		removed := next.e.removed // a reload dropped it while it waited: nothing to check
		p.mu.Unlock()
		if removed {
			p.finish(next.e, Result{}, oauth.Credentials{}, nil, false)
		} else {
			_, _ = p.runCheck(ctx, next.e)
		}
		p.mu.Lock()
		p.runq.done(next.host)
	}
	p.runq.workers--
}
