package demo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

func TestFlapperPhases(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := t0
	fl := newFlapper(20*time.Second, 10*time.Second, func() time.Time { return now }, ok)
	for _, tt := range []struct {
		at         time.Duration
		status     int
		retryAfter string
	}{
		{0, 200, ""},
		{19*time.Second + 999*time.Millisecond, 200, ""},
		{20 * time.Second, 503, "10"},
		{29*time.Second + 500*time.Millisecond, 503, "1"},
		{30 * time.Second, 200, ""},
		{50 * time.Second, 503, "10"},
	} {
		now = t0.Add(tt.at)
		rec := httptest.NewRecorder()
		fl.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", nil))
		if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retryAfter {
			t.Errorf("at %v: %d Retry-After %q, want %d %q", tt.at, rec.Code, rec.Header().Get("Retry-After"), tt.status, tt.retryAfter)
		}
	}
}

// A delayed request ends when its client gives up (or the fleet closes),
// never later.
func TestSlowlyStopsWithTheRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	slowly(time.Hour, ok).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	if rec.Body.Len() != 0 {
		t.Errorf("answered %q after the client left", rec.Body.String())
	}
}

func TestLegacyEraPassesOtherMessagesThrough(t *testing.T) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","method":"ping"}`, // a notification has no answer to fake
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
	} {
		rec := httptest.NewRecorder()
		legacyEra(ok).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body)))
		if rec.Body.String() != "ok" {
			t.Errorf("%s: intercepted: %s", body, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	legacyEra(ok).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":"a","method":"ping"}`)))
	if !strings.Contains(rec.Body.String(), `"id":"a"`) || !strings.Contains(rec.Body.String(), `-32601`) {
		t.Errorf("ping: %s", rec.Body.String())
	}
}

func TestRequireBearer(t *testing.T) {
	h := requireBearer("s3cret", "metrics", ok)
	for _, tt := range []struct{ auth, challenge string }{
		{"", `Bearer realm="metrics"`},
		{"Basic czNjcmV0", `Bearer realm="metrics"`},
		{"Bearer nope", `Bearer realm="metrics", error="invalid_token"`},
		{"bearer s3cret", ""},
	} {
		req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge || (tt.challenge == "") != (rec.Code == 200) {
			t.Errorf("%q: %d %q, want challenge %q", tt.auth, rec.Code, got, tt.challenge)
		}
	}
}
