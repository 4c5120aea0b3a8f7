package oauth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

func TestConcurrentCallersShareOneRequest(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{})
	// Slow enough that the callers really overlap the one request in flight.
	as.SetFault(authserver.Fault{Kind: authserver.FaultSlow, Delay: 100 * time.Millisecond})
	cache := newCache(t, nil, oauth.Options{})

	const n = 1000
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Equivalent credentials built independently: scope order, duplicates and an
			// explicit default method must not split the cache.
			cr := creds(ts.URL + "/token")
			cr.Scopes = []string{"b", "a"}
			if i%2 == 0 {
				cr.Scopes = []string{"a", "b", "a"}
				cr.Method = oauth.ClientSecretBasic
			}
			tok, err := cache.Token(context.Background(), cr)
			errs[i] = err
			if tok != nil {
				tokens[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %v, token differs: %v", i, errs[i], tokens[i] != tokens[0])
		}
	}
	if got := as.Requests(); got != 1 {
		t.Errorf("authserver saw %d token requests, want 1", got)
	}
	if got := cache.Requests(); got["ok"] != 1 || got.Total() != 1 {
		t.Errorf("cache counted %v", got)
	}
}

func TestDifferentCredentialsDoNotShare(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{Clients: map[string]string{clientID: secret, "other": "pw"}})
	cache := newCache(t, nil, oauth.Options{})
	base := creds(ts.URL + "/token")
	variants := []func(*oauth.Credentials){
		func(c *oauth.Credentials) {},
		func(c *oauth.Credentials) { c.ClientID, c.ClientSecret = "other", "pw" },
		func(c *oauth.Credentials) { c.Scopes = []string{"x"} },
		func(c *oauth.Credentials) { c.Audience = "a" },
		func(c *oauth.Credentials) { c.Resource = "https://r.example" },
		func(c *oauth.Credentials) { c.Method = oauth.ClientSecretPost },
	}
	for _, v := range variants {
		cr := base
		v(&cr)
		if _, err := cache.Token(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
	}
	if got := as.Requests(); got != int64(len(variants)) {
		t.Errorf("%d requests for %d distinct credential sets", got, len(variants))
	}
	// Same everything but the secret: a different key, and the key does not contain the secret.
	other := base
	other.ClientSecret = "not-the-same"
	if base.Key() == other.Key() {
		t.Error("different secrets share a cache key")
	}
	assertNoSecrets(t, base.Key())
}

func TestCachedTokenReusedUntilRefreshWindow(t *testing.T) {
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{Lifetime: time.Hour})
	cache := newCache(t, clock, oauth.Options{}) // window: 20% of 1h = 12m
	cr := creds(ts.URL + "/token")
	ctx := context.Background()

	first, _ := cache.Token(ctx, cr)
	clock.Advance(47 * time.Minute) // 13m left
	if again, _ := cache.Token(ctx, cr); again.AccessToken != first.AccessToken || as.Requests() != 1 {
		t.Fatalf("token not reused outside the refresh window (%d requests)", as.Requests())
	}
	clock.Advance(2 * time.Minute) // 11m left: due
	next, err := cache.Token(ctx, cr)
	if err != nil || next.AccessToken == first.AccessToken || as.Requests() != 2 {
		t.Fatalf("token not refreshed inside the window: %v, %d requests", err, as.Requests())
	}
	if !next.Obtained.Equal(clock.Now()) || !next.Expiry.Equal(clock.Now().Add(time.Hour)) {
		t.Errorf("new token %v obtained %v", next, next.Obtained)
	}
}

func TestShortLivedTokensAreNotDueOnArrival(t *testing.T) {
	// RefreshAheadMin (1m) exceeds this whole lifetime; the window is capped at half of it.
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{Lifetime: 40 * time.Second})
	cache := newCache(t, clock, oauth.Options{})
	cr := creds(ts.URL + "/token")
	cache.Token(context.Background(), cr)
	clock.Advance(19 * time.Second)
	cache.Token(context.Background(), cr)
	if as.Requests() != 1 {
		t.Errorf("%d requests; a 40s token should serve for its first 20s", as.Requests())
	}
}

func TestRefreshDueRefreshesAheadOfExpiry(t *testing.T) {
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{})
	cache := newCache(t, clock, oauth.Options{})
	cr := creds(ts.URL + "/token")
	ctx := context.Background()
	first, _ := cache.Token(ctx, cr)

	clock.Advance(30 * time.Minute)
	cache.RefreshDue(ctx)
	if as.Requests() != 1 {
		t.Fatalf("refreshed a token with 30m of 1h left")
	}
	clock.Advance(20 * time.Minute) // 10m left
	cache.RefreshDue(ctx)
	if as.Requests() != 2 {
		t.Fatalf("RefreshDue sent %d requests in total, want 2", as.Requests())
	}
	info, _ := cache.Info(cr)
	if !info.Obtained.Equal(clock.Now()) || info.LastError != "" || info.Refreshing {
		t.Errorf("info after refresh %+v", info)
	}
	tok, _ := cache.Token(ctx, cr)
	if tok.AccessToken == first.AccessToken || as.Requests() != 2 {
		t.Errorf("Token after RefreshDue should serve the refreshed token without a request")
	}
}

func TestFailedRefreshKeepsOldTokenAndRecordsError(t *testing.T) {
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{})
	cache := newCache(t, clock, oauth.Options{RetryAfterFailure: 10 * time.Second})
	cr := creds(ts.URL + "/token")
	ctx := context.Background()
	first, _ := cache.Token(ctx, cr)

	clock.Advance(55 * time.Minute) // 5m left
	as.SetFault(authserver.Fault{Kind: authserver.FaultStatus500})
	cache.RefreshDue(ctx)
	if as.Requests() != 2 {
		t.Fatalf("%d requests, want the refresh attempt", as.Requests())
	}
	info, _ := cache.Info(cr)
	if !info.RefreshFailed() || info.LastErrorClass != "token.http_500" || !info.LastErrorAt.Equal(clock.Now()) {
		t.Fatalf("info %+v", info)
	}
	if left := info.Expiry.Sub(clock.Now()); left != 5*time.Minute {
		t.Errorf("old token should be valid 5m more, Info says %v", left)
	}

	// The old token is still served, without hammering the failing endpoint.
	tok, err := cache.Token(ctx, cr)
	if err != nil || tok.AccessToken != first.AccessToken || as.Requests() != 2 {
		t.Fatalf("Token = %v, %v after %d requests", tok, err, as.Requests())
	}
	clock.Advance(11 * time.Second)
	tok, err = cache.Token(ctx, cr) // retries, fails, still serves the old token
	if err != nil || tok.AccessToken != first.AccessToken || as.Requests() != 3 {
		t.Fatalf("Token = %v, %v after %d requests", tok, err, as.Requests())
	}

	as.SetFault(authserver.Fault{})
	clock.Advance(11 * time.Second)
	cache.RefreshDue(ctx)
	if info, _ := cache.Info(cr); info.RefreshFailed() || info.LastError != "" {
		t.Errorf("a successful refresh should clear the error: %+v", info)
	}

	// Once the old token has expired, a failure is an error again.
	as.SetFault(authserver.Fault{Kind: authserver.FaultStatus500})
	clock.Advance(2 * time.Hour)
	if _, err := cache.Token(ctx, cr); err == nil {
		t.Error("expired token served after a failed refresh")
	}
	if got := cache.Requests(); got["ok"] != 2 || got["error"] != 3 {
		t.Errorf("request counts %v", got)
	}
}

func TestInvalidateForcesNewToken(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{})
	cache := newCache(t, nil, oauth.Options{})
	cr := creds(ts.URL + "/token")
	ctx := context.Background()
	first, _ := cache.Token(ctx, cr)
	cache.Invalidate(cr, first) // e.g. the MCP server answered 401
	second, err := cache.Token(ctx, cr)
	if err != nil || second.AccessToken == first.AccessToken || as.Requests() != 2 {
		t.Fatalf("after Invalidate: %v, %d requests", err, as.Requests())
	}
	// A late Invalidate of the old token (another probe's 401) must not drop the new one.
	cache.Invalidate(cr, first)
	if third, _ := cache.Token(ctx, cr); third.AccessToken != second.AccessToken || as.Requests() != 2 {
		t.Errorf("stale Invalidate dropped the current token")
	}
}

func TestIdleCredentialsAreNeitherRefreshedNorKept(t *testing.T) {
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{Lifetime: 10 * time.Minute})
	cache := newCache(t, clock, oauth.Options{IdleTTL: 30 * time.Minute})
	cr := creds(ts.URL + "/token")
	cache.Token(context.Background(), cr)

	clock.Advance(10 * time.Minute) // expired, and nobody asked during its lifetime
	cache.RefreshDue(context.Background())
	if as.Requests() != 1 {
		t.Errorf("refreshed a token nobody used")
	}
	clock.Advance(30 * time.Minute)
	cache.RefreshDue(context.Background())
	if _, ok := cache.Info(cr); ok {
		t.Errorf("credentials idle beyond IdleTTL are still cached")
	}
}

func TestMaxEntriesEvictsLeastRecentlyUsed(t *testing.T) {
	clock := newFakeClock()
	_, ts := newAuthServer(t, authserver.Options{})
	cache := newCache(t, clock, oauth.Options{MaxEntries: 2})
	a, b, c := creds(ts.URL+"/token"), creds(ts.URL+"/token"), creds(ts.URL+"/token")
	a.Audience, b.Audience, c.Audience = "a", "b", "c"
	ctx := context.Background()
	cache.Token(ctx, a)
	clock.Advance(time.Second)
	cache.Token(ctx, b)
	clock.Advance(time.Second)
	cache.Token(ctx, a) // a is now more recent than b
	clock.Advance(time.Second)
	cache.Token(ctx, c)
	_, hasA := cache.Info(a)
	_, hasB := cache.Info(b)
	_, hasC := cache.Info(c)
	if !hasA || hasB || !hasC {
		t.Errorf("after eviction: a=%v b=%v c=%v, want b evicted", hasA, hasB, hasC)
	}
}

func TestTimeoutOfOneCallerDoesNotFailOthers(t *testing.T) {
	as, ts := newAuthServer(t, authserver.Options{})
	as.SetFault(authserver.Fault{Kind: authserver.FaultSlow, Delay: 300 * time.Millisecond})
	cache := newCache(t, nil, oauth.Options{})
	cr := creds(ts.URL + "/token")

	impatient, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var patientErr error
	wg.Go(func() { _, patientErr = cache.Token(context.Background(), cr) })
	waitFor(t, func() bool { info, _ := cache.Info(cr); return info.Refreshing }) // patient's request is in flight
	_, impatientErr := cache.Token(impatient, cr)
	wg.Wait()
	if impatientErr == nil {
		t.Error("impatient caller should time out")
	}
	if patientErr != nil {
		t.Errorf("patient caller failed because another gave up: %v", patientErr)
	}
	if as.Requests() != 1 {
		t.Errorf("%d requests, want 1 shared", as.Requests())
	}
}
