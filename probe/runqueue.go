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
	hostQueue[*entry]
	workers int
}

// enqueueLocked queues e (marked checking) and starts workers for it.
func (p *Pool) enqueueLocked(ctx context.Context, e *entry) {
	p.runq.push(e, e.host)
	p.staffLocked(ctx)
}

// staffLocked starts workers while entries are ready and fewer than the
// global limit run; after a reload it first applies new limits.
func (p *Pool) staffLocked(ctx context.Context) {
	if p.runq.perHost != p.perHost {
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
		removed := next.item.removed // a reload dropped it while it waited: nothing to check
		p.mu.Unlock()
		if removed {
			p.finish(next.item, Result{}, oauth.Credentials{}, nil, false)
		} else {
			_, _ = p.runCheck(ctx, next.item)
		}
		p.mu.Lock()
		p.runq.done(next.host)
	}
	p.runq.workers--
}
