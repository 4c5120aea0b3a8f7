package oauth_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

const (
	clientID = "mcpwatch-probe"
	// A secret with characters that change under form encoding, so scrubbing of both forms
	// is exercised.
	secret = "s3cr3t+value/with=stuff"
)

// fakeClock is a settable clock safe for use from several goroutines.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newClient returns an HTTP client whose idle connections are closed when the test ends, so
// goleak sees no transport goroutines.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// serve runs h on httptest until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// newAuthServer starts a real token endpoint knowing clientID/secret.
func newAuthServer(t *testing.T, opts authserver.Options) (*authserver.Server, *httptest.Server) {
	t.Helper()
	if opts.Clients == nil {
		opts.Clients = map[string]string{clientID: secret}
	}
	as := authserver.New(opts)
	ts := serve(t, as)
	as.SetIssuer(ts.URL)
	return as, ts
}

func newCache(t *testing.T, clock *fakeClock, opts oauth.Options) *oauth.TokenCache {
	t.Helper()
	if opts.HTTPClient == nil {
		opts.HTTPClient = newClient(t)
	}
	if clock != nil {
		opts.Now = clock.Now
	}
	return oauth.NewTokenCache(opts)
}

func creds(tokenURL string) oauth.Credentials {
	return oauth.Credentials{TokenURL: tokenURL, ClientID: clientID, ClientSecret: secret}
}

// assertNoSecrets fails if any rendering of v contains the client secret (raw or
// form-encoded) or anything that looks like an access token from authserver ("at_…").
func assertNoSecrets(t *testing.T, v any, tokens ...string) {
	t.Helper()
	var renderings []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		renderings = append(renderings, fmt.Sprintf(f, v))
	}
	if err, ok := v.(error); ok {
		renderings = append(renderings, err.Error())
	}
	if b, err := json.Marshal(v); err == nil {
		renderings = append(renderings, string(b))
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "v", v)
	renderings = append(renderings, logged.String())

	forbidden := append([]string{secret, "s3cr3t%2Bvalue", "at_"}, tokens...)
	for _, r := range renderings {
		for _, f := range forbidden {
			if f != "" && strings.Contains(r, f) {
				t.Errorf("rendering leaks %q: %s", f, r)
			}
		}
	}
}

// counting wraps h and counts requests per path.
type counting struct {
	h    http.Handler
	mu   sync.Mutex
	hits map[string]int
	all  atomic.Int64
}

func count(h http.Handler) *counting { return &counting{h: h, hits: map[string]int{}} }

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.all.Add(1)
	c.mu.Lock()
	c.hits[r.URL.Path]++
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

func (c *counting) get(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[path]
}
