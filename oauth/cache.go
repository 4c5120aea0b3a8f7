package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// Options tune a TokenCache. Zero values mean the defaults shown.
type Options struct {
	HTTPClient         *http.Client     // nil: a client with a 30 s timeout. Redirects are never followed for token requests.
	DefaultLifetime    time.Duration    // 1h: lifetime assumed when a response has no usable expires_in
	RefreshAhead       float64          // 0.2: refresh when less than this fraction of the lifetime is left …
	RefreshAheadMin    time.Duration    // 1m: … or less than this, but never earlier than half the lifetime
	RetryAfterFailure  time.Duration    // 10s: while the old token is still valid, wait this long between failed refreshes
	FetchTimeout       time.Duration    // 30s: upper bound on one token request, whoever waits on it
	RefreshConcurrency int              // 8: token requests RefreshDue runs at once
	IdleTTL            time.Duration    // 1h: credentials nobody asked a token for in this long are forgotten
	MaxEntries         int              // 10000: at most this many credential sets; the least recently used goes first
	DiscoveryTTL       time.Duration    // 1h: how long a successful discovery is reused
	DiscoveryErrorTTL  time.Duration    // 30s: how long a failed discovery is reused
	Now                func() time.Time // time.Now; tests pass a fake clock
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	def(&o.DefaultLifetime, time.Hour)
	if o.RefreshAhead <= 0 || o.RefreshAhead >= 1 {
		o.RefreshAhead = 0.2
	}
	def(&o.RefreshAheadMin, time.Minute)
	def(&o.RetryAfterFailure, 10*time.Second)
	def(&o.FetchTimeout, 30*time.Second)
	if o.RefreshConcurrency <= 0 {
		o.RefreshConcurrency = 8
	}
	def(&o.IdleTTL, time.Hour)
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	def(&o.DiscoveryTTL, time.Hour)
	def(&o.DiscoveryErrorTTL, 30*time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// TokenCache holds one token per credential set (see Credentials.Key) for the whole process, so
// however many servers and viewers there are, each credential set costs one token request per
// lifetime. It is safe for concurrent use.
type TokenCache struct {
	opts    Options
	fetcher fetcher
	tokens  flightGroup[*Token]
	found   flightGroup[*Metadata]

	ok, failed atomic.Int64 // token requests by result
	// gen changes whenever what Info returns may have, for any credentials:
	// a snapshot of 10,000 servers re-reads their live token state only then.
	gen atomic.Uint64

	mu          sync.Mutex
	entries     map[string]*entry
	discoveries map[string]*discovered
}

// entry is the state of one credential set. Guarded by TokenCache.mu.
type entry struct {
	cr        Credentials // latest seen, used by RefreshDue
	tok       *Token      // nil before the first success and after Invalidate
	lastErr   *Error      // cleared by a success
	lastErrAt time.Time
	lastUsed  time.Time           // last Token call
	retryAt   time.Time           // no refresh before this while tok is valid (after a failure)
	fetching  int                 // token requests in flight
	seq       uint64              // numbers fetch attempts, so a stale failure does not overwrite a newer one
	tls       *tlsverify.CertInfo // the endpoint's certificate at the latest token request (https only)
}

// NewTokenCache returns an empty cache.
func NewTokenCache(opts Options) *TokenCache {
	opts = opts.withDefaults()
	return &TokenCache{
		opts:        opts,
		fetcher:     fetcher{hc: noRedirects(opts.HTTPClient), now: opts.Now, defaultLifetime: opts.DefaultLifetime},
		tokens:      flightGroup[*Token]{timeout: opts.FetchTimeout},
		found:       flightGroup[*Metadata]{timeout: opts.FetchTimeout},
		entries:     make(map[string]*entry),
		discoveries: make(map[string]*discovered),
	}
}

// Token returns a valid token for cr: the cached one unless it is within the refresh-ahead
// window, else a fresh one. Concurrent callers with equivalent credentials share one request.
// If a refresh fails while the cached token is still valid, that token is returned and the
// failure is recorded (see Info). Errors are *Error.
func (c *TokenCache) Token(ctx context.Context, cr Credentials) (*Token, error) {
	key := cr.Key()
	now := c.opts.Now()
	c.mu.Lock()
	e := c.entryLocked(key, cr, now)
	e.lastUsed = now
	if t := e.tok; t.Valid(now) && (!c.due(t, now) || now.Before(e.retryAt) || e.fetching > 0) {
		t = t.clone()
		c.mu.Unlock()
		return t, nil
	}
	c.mu.Unlock()
	return c.fetch(ctx, key, cr)
}

// fetch runs (or joins) the single flight for key.
func (c *TokenCache) fetch(ctx context.Context, key string, cr Credentials) (*Token, error) {
	tok, err := c.tokens.do(ctx, key, func(fctx context.Context) (*Token, error) {
		return c.runFetch(fctx, key, cr)
	})
	if err == nil {
		return tok.clone(), nil
	}
	var oerr *Error
	if !errors.As(err, &oerr) {
		// This caller's own context ended while the request was still running for others.
		oerr = ctxError("token", "token endpoint "+hostOf(cr.TokenURL), err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil && e.tok.Valid(c.opts.Now()) {
		return e.tok.clone(), nil
	}
	return nil, oerr
}

// runFetch is the body of one flight: one token request and its bookkeeping.
func (c *TokenCache) runFetch(ctx context.Context, key string, cr Credentials) (*Token, error) {
	c.mu.Lock()
	now := c.opts.Now()
	e := c.entryLocked(key, cr, now)
	if e.tok.Valid(now) && !c.due(e.tok, now) {
		// A flight that ended just before this one started already refreshed it.
		t := e.tok
		c.mu.Unlock()
		return t, nil
	}
	e.fetching++
	e.seq++
	c.gen.Add(1) // Refreshing
	seq := e.seq
	var oldToken string
	if e.tok != nil {
		oldToken = e.tok.AccessToken
	}
	c.mu.Unlock()

	tok, cert, err := c.fetcher.fetch(ctx, cr)

	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.gen.Add(1)
	e.fetching--
	if cert != nil {
		e.tls = cert
	}
	if err != nil {
		ferr := err.(*Error).scrub(oldToken) // an endpoint echoing the token it is replacing
		if !configClass(ferr.Class) {
			c.failed.Add(1)
		}
		if e.seq == seq {
			e.lastErr, e.lastErrAt = ferr, c.opts.Now()
			e.retryAt = e.lastErrAt.Add(c.opts.RetryAfterFailure)
		}
		return nil, ferr
	}
	c.ok.Add(1)
	if e.tok == nil || !tok.Obtained.Before(e.tok.Obtained) {
		e.tok = tok
	}
	e.lastErr, e.lastErrAt, e.retryAt = nil, time.Time{}, time.Time{}
	return tok, nil
}

// configClass reports failures found before any request was sent.
func configClass(class string) bool {
	switch class {
	case "token.no_token_url", "token.bad_token_url", "token.unsupported_method", "token.client_auth",
		"token.bad_key", "token.unsupported_alg", "token.tls_config":
		return true
	}
	return false
}

// entryLocked returns key's entry, creating it (and making room) if needed.
func (c *TokenCache) entryLocked(key string, cr Credentials, now time.Time) *entry {
	e := c.entries[key]
	if e == nil {
		if len(c.entries) >= c.opts.MaxEntries {
			c.evictLRULocked()
		}
		e = &entry{lastUsed: now}
		c.entries[key] = e
		c.gen.Add(1)
	}
	if e.cr.TokenURL != cr.TokenURL || e.cr.discovered != cr.discovered {
		c.gen.Add(1) // Info names them; an unchanged set, on every Token call, must not count
	}
	e.cr = cr
	e.cr.Scopes = slices.Clone(cr.Scopes)
	return e
}

// Invalidate drops t if it is still the cached token for cr, so the next Token call fetches a
// new one. Call it when a server answers 401 to t: x/oauth2 alone cannot forget a token.
func (c *TokenCache) Invalidate(cr Credentials, t *Token) {
	if t == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[cr.Key()]; e != nil && e.tok != nil && e.tok.AccessToken == t.AccessToken {
		e.tok = nil
		e.retryAt = time.Time{}
		c.gen.Add(1)
	}
}

// Generation changes whenever Info may answer differently for some
// credentials than it did before; reading it is much cheaper than Info.
func (c *TokenCache) Generation() uint64 { return c.gen.Load() }

// Info describes the cached state for cr; false if cr was never asked for (or was forgotten).
func (c *TokenCache) Info(cr Credentials) (Info, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[cr.Key()]
	if e == nil {
		return Info{}, false
	}
	info := Info{TokenURL: e.cr.TokenURL, TokenURLSource: "configured", Refreshing: e.fetching > 0}
	if e.cr.discovered {
		info.TokenURLSource = "discovered"
	}
	if t := e.tok; t != nil {
		info.Obtained, info.Expiry, info.ExpiryDefaulted, info.Scopes = t.Obtained, t.Expiry, t.ExpiryDefaulted, slices.Clone(t.Scopes)
	}
	info.TLS = tlsOf(e.tls)
	if e.lastErr != nil {
		info.LastError, info.LastErrorClass, info.LastErrorAt = e.lastErr.Msg, e.lastErr.Class, e.lastErrAt
	}
	return info, true
}

// RequestCounts counts token requests by result: "ok" and "error".
type RequestCounts map[string]int64

// Total is the number of token requests sent.
func (r RequestCounts) Total() int64 { return r["ok"] + r["error"] }

// Requests returns how many token requests were sent, by result. Failures found before sending
// (no token URL, unsupported method) are not requests and are not counted.
func (c *TokenCache) Requests() RequestCounts {
	return RequestCounts{"ok": c.ok.Load(), "error": c.failed.Load()}
}
