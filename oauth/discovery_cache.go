package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// discovered is a cached Discover result. Guarded by TokenCache.mu.
type discovered struct {
	md      *Metadata
	err     *Error
	expires time.Time
}

// Discovered is Discover with a per-server cache: successes are reused for DiscoveryTTL,
// failures for DiscoveryErrorTTL (so a fixed server is noticed soon), and concurrent callers for
// the same server share one discovery. hc nil means the cache's HTTP client. The cache is keyed
// by the normalised server URL only; headers are assumed not to change the answer.
func (c *TokenCache) Discovered(ctx context.Context, hc *http.Client, serverURL string, headers http.Header) (*Metadata, error) {
	if hc == nil {
		hc = c.opts.HTTPClient
	}
	key, ok := normalizeResource(serverURL)
	if !ok {
		key = serverURL
	}
	c.mu.Lock()
	if d := c.discoveries[key]; d != nil && c.opts.Now().Before(d.expires) {
		c.mu.Unlock()
		return d.result()
	}
	c.mu.Unlock()

	md, err := c.found.do(ctx, key, func(fctx context.Context) (*Metadata, error) {
		md, err := Discover(fctx, hc, serverURL, headers)
		if fctx.Err() != nil {
			return md, err // cut short, says nothing about the server: do not cache
		}
		d := &discovered{md: md, expires: c.opts.Now().Add(c.opts.DiscoveryTTL)}
		if err != nil {
			d.err = err.(*Error)
			d.expires = c.opts.Now().Add(c.opts.DiscoveryErrorTTL)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.discoveries) >= c.opts.MaxEntries {
			c.evictIdleLocked(c.opts.Now())
		}
		if len(c.discoveries) < c.opts.MaxEntries {
			c.discoveries[key] = d
		}
		return md, err
	})
	if err != nil {
		var oerr *Error
		if !errors.As(err, &oerr) {
			oerr = ctxError("discovery", "discovery for "+hostOf(serverURL), err)
		}
		return nil, oerr
	}
	return md.clone(), nil
}

func (d *discovered) result() (*Metadata, error) {
	if d.err != nil {
		e := *d.err // callers may annotate their copy
		return nil, &e
	}
	return d.md.clone(), nil
}
