package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// TestGenerationFollowsInfo: Generation moves with every change Info can
// show (a new token, a failed refresh, an invalidated token, credentials
// forgotten), and stays put while a cached token is served: a pool snapshot
// re-reads every server's live token state only when it moved.
func TestGenerationFollowsInfo(t *testing.T) {
	clock := newFakeClock()
	as, ts := newAuthServer(t, authserver.Options{Lifetime: 10 * time.Minute})
	cache := newCache(t, clock, oauth.Options{IdleTTL: 30 * time.Minute})
	cr := creds(ts.URL + "/token")
	ctx := context.Background()
	moved := func(what string, before uint64) uint64 {
		t.Helper()
		g := cache.Generation()
		if g == before {
			t.Fatalf("%s: Generation stayed %d", what, g)
		}
		return g
	}
	g := moved("first token", func() uint64 { g := cache.Generation(); cache.Token(ctx, cr); return g }())
	tok, _ := cache.Token(ctx, cr)
	if cache.Generation() != g || as.Requests() != 1 {
		t.Fatalf("a cached token moved Generation (%d, was %d) or was fetched (%d requests)", cache.Generation(), g, as.Requests())
	}
	cache.Invalidate(cr, tok)
	g = moved("Invalidate", g)
	cache.Token(ctx, cr)
	g = moved("token after Invalidate", g)

	as.SetFault(authserver.Fault{Kind: authserver.FaultStatus500}) // the next refresh fails
	clock.Advance(9 * time.Minute)                                 // within the refresh-ahead window
	cache.RefreshDue(ctx)
	if info, _ := cache.Info(cr); info.LastError == "" {
		t.Fatalf("the refresh did not fail: %+v", info)
	}
	g = moved("failed refresh", g)

	clock.Advance(time.Hour)
	cache.RefreshDue(ctx) // idle past IdleTTL: forgotten
	if _, ok := cache.Info(cr); ok {
		t.Fatal("idle credentials were kept")
	}
	moved("forgotten", g)
}
