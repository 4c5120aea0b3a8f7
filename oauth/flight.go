package oauth

import (
	"context"
	"sync"
	"time"
)

// flightGroup runs at most one call per key at a time; concurrent callers of the same key wait
// for that one call and share its result (single-flight).
//
// The call runs on its own goroutine under a context detached from any one caller, so a caller
// that gives up does not fail the others waiting on the same token. It is cancelled only when
// every waiter has gone (with the last waiter's reason as the cause) or after timeout.
type flightGroup[T any] struct {
	timeout time.Duration

	mu    sync.Mutex
	calls map[string]*flightCall[T]
}

type flightCall[T any] struct {
	done    chan struct{}
	val     T
	err     error
	waiters int // guarded by flightGroup.mu
	cancel  context.CancelCauseFunc
}

// do returns fn's result for key, starting fn unless a call for key is already running. If ctx
// ends first, do returns ctx's error; fn keeps running while anyone else still waits.
func (g *flightGroup[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = make(map[string]*flightCall[T])
	}
	c, running := g.calls[key]
	if !running {
		c = g.start(ctx, key, fn)
	}
	c.waiters++
	g.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			c.cancel(context.Cause(ctx))
			// Forget the abandoned call so the next caller starts afresh instead of joining
			// one that is being torn down.
			if g.calls[key] == c {
				delete(g.calls, key)
			}
		}
		g.mu.Unlock()
		var zero T
		return zero, context.Cause(ctx)
	}
}

// start launches fn; the caller holds g.mu.
func (g *flightGroup[T]) start(ctx context.Context, key string, fn func(context.Context) (T, error)) *flightCall[T] {
	cctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	c := &flightCall[T]{done: make(chan struct{}), cancel: cancel}
	g.calls[key] = c
	go func() {
		fctx, stop := context.WithTimeout(cctx, g.timeout)
		c.val, c.err = fn(fctx)
		stop()
		cancel(nil)
		g.mu.Lock()
		if g.calls[key] == c {
			delete(g.calls, key)
		}
		g.mu.Unlock()
		close(c.done)
	}()
	return c
}
