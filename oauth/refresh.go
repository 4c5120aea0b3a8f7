package oauth

import (
	"context"
	"sync"
	"time"
)

// refreshWindow is how long before expiry a token counts as due for refresh: RefreshAhead of
// its lifetime, at least RefreshAheadMin, but never more than half the lifetime — otherwise a
// token living under two minutes would be due the moment it arrived and every probe would
// fetch a new one.
func (c *TokenCache) refreshWindow(lifetime time.Duration) time.Duration {
	w := time.Duration(float64(lifetime) * c.opts.RefreshAhead)
	w = max(w, c.opts.RefreshAheadMin)
	return min(w, lifetime/2)
}

// due reports whether t is within its refresh window (or expired) at now.
func (c *TokenCache) due(t *Token, now time.Time) bool {
	return t.Expiry.Sub(now) <= c.refreshWindow(t.Lifetime())
}

// RefreshDue refreshes every cached token that is due, at most RefreshConcurrency requests at a
// time, and returns when all are done or ctx ends. Failed refreshes keep the old token (still
// served while valid) and record LastError. It skips tokens nobody has asked for during the
// current token's lifetime, so a server removed from the config costs at most one more request,
// and it forgets credentials idle for IdleTTL. Call it periodically (every few seconds).
func (c *TokenCache) RefreshDue(ctx context.Context) {
	now := c.opts.Now()
	type job struct {
		key string
		cr  Credentials
	}
	var jobs []job
	c.mu.Lock()
	c.evictIdleLocked(now)
	for key, e := range c.entries {
		t := e.tok
		if t == nil || e.fetching > 0 || now.Before(e.retryAt) || !c.due(t, now) {
			continue
		}
		if now.Sub(e.lastUsed) >= t.Lifetime() {
			continue
		}
		jobs = append(jobs, job{key, e.cr})
	}
	c.mu.Unlock()

	sem := make(chan struct{}, c.opts.RefreshConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			_, _ = c.fetch(ctx, j.key, j.cr) // outcome recorded in the entry
		})
	}
	wg.Wait()
}

// evictIdleLocked forgets credentials nobody asked a token for within IdleTTL, and discovery
// results past their TTL. Entries with a request in flight stay.
func (c *TokenCache) evictIdleLocked(now time.Time) {
	for key, e := range c.entries {
		if e.fetching == 0 && now.Sub(e.lastUsed) >= c.opts.IdleTTL {
			delete(c.entries, key)
			c.gen.Add(1)
		}
	}
	for key, d := range c.discoveries {
		if !now.Before(d.expires) {
			delete(c.discoveries, key)
		}
	}
}

// evictLRULocked makes room for one entry by dropping the least recently used idle one. It
// scans all entries, which is fine: it only runs when MaxEntries is reached.
func (c *TokenCache) evictLRULocked() {
	var oldestKey string
	var oldest time.Time
	for key, e := range c.entries {
		if e.fetching == 0 && (oldestKey == "" || e.lastUsed.Before(oldest)) {
			oldestKey, oldest = key, e.lastUsed
		}
	}
	if oldestKey != "" {
		delete(c.entries, oldestKey)
		c.gen.Add(1)
	}
}
