package metrics

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// echoFailure answers every request with a 502 whose body repeats the request
// line and headers: a server that puts our secrets into its error text.
func echoFailure() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "upstream failed for %s %s with %v", r.Method, r.URL.String(), r.Header)
	})
}

// TestSecretsNeverReachAScrape feeds known secrets through config (OAuth2
// client secret, static bearer token, custom header, secret in the URL and in
// the token URL), lets real checks obtain a real token and fail with error
// text, then scrapes: none of those strings, nor any message, may appear.
func TestSecretsNeverReachAScrape(t *testing.T) {
	const (
		bearerSecret = "bearer-Literal-77c1e0aa"
		headerSecret = "header-Secret-5d9f3b21"
		urlSecret    = "url-Key-0b8e6c4d"
	)
	t.Setenv("MCPW_METRICS_SECRET", testSecret)
	ts := newTokenServer(t)
	seen := &tokensSeen{}
	echo := serve(t, echoFailure()).URL

	good := oauthSrv("oauth", ts.protected(t, "oauth", seen), ts.url+"/token?tenant="+urlSecret, "MCPW_METRICS_SECRET")
	bearer := srv("bearer", echo+"/mcp")
	bearer.Auth = config.Auth{Type: config.AuthBearer, Token: config.Secret{Literal: bearerSecret}}
	header := srv("header", echo+"/mcp?api_key="+urlSecret)
	header.Headers = map[string]config.Secret{"X-Api-Key": {Literal: headerSecret}}
	pool := newPool(good, bearer, header)
	m := New(pool)
	results := sweep(t, pool)
	results = append(results, sweep(t, pool)...)

	forbidden := []string{testSecret, bearerSecret, headerSecret, urlSecret, ts.url, echo}
	tokens := seen.list()
	if len(tokens) == 0 {
		t.Fatal("fixture: the protected server never saw a token")
	}
	forbidden = append(forbidden, tokens...)
	for _, r := range results {
		switch r.Server {
		case "oauth":
			if r.Status != probe.StatusHealthy {
				t.Fatalf("fixture: oauth is %s: %s", r.Status, r.Message)
			}
		default:
			if r.Status != probe.StatusUnhealthy || r.Message == "" {
				t.Fatalf("fixture: %s should fail with an error text, got %s %q", r.Server, r.Status, r.Message)
			}
			// The class is a bounded label of mcpwatch_server_failure_info;
			// the message and detail are free text and never exported.
			forbidden = append(forbidden, r.Message)
			if r.Detail != "" {
				forbidden = append(forbidden, r.Detail)
			}
		}
	}

	body := scrape(t, m.Handler())
	if !strings.Contains(body, `mcpwatch_token_expiry_timestamp_seconds{server="oauth"}`) {
		t.Fatal("fixture: the scrape has no token metric, so the test would prove nothing about tokens")
	}
	for _, s := range forbidden {
		if strings.Contains(body, s) {
			t.Errorf("scrape contains %q", s)
		}
	}
}
