package authserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		fault      authserver.FaultKind
		wantStatus int
		check      func(r reply) bool
	}{
		{authserver.FaultStatus500, 500, func(r reply) bool { return r.body == nil && strings.Contains(r.raw, "internal") }},
		{authserver.FaultBadJSON, 200, func(r reply) bool { return r.body == nil && strings.HasPrefix(r.raw, "{") }},
		{authserver.FaultNoAccessToken, 200, func(r reply) bool { return r.body != nil && r.body["access_token"] == nil }},
		{authserver.FaultNoExpiresIn, 200, func(r reply) bool {
			_, hasExpiry := r.body["expires_in"]
			return r.body["access_token"] != nil && !hasExpiry
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
			as.SetFault(authserver.Fault{Kind: tt.fault})
			r := postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "s"})
			if r.status != tt.wantStatus || !tt.check(r) {
				t.Fatalf("got %d %q", r.status, r.raw)
			}
			as.SetFault(authserver.Fault{})
			if r := postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "s"}); r.status != 200 || r.body["expires_in"] == nil {
				t.Errorf("after clearing the fault: %d %s", r.status, r.raw)
			}
		})
	}
}

func TestSlowFaultStopsWhenClientGivesUp(t *testing.T) {
	as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
	as.SetFault(authserver.Fault{Kind: authserver.FaultSlow, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/token",
		strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("c", "s")
	start := time.Now()
	if _, err := ts.Client().Do(req); err == nil {
		t.Fatal("expected the request to time out")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("slow fault ignored the client's deadline")
	}
	// ts.Close in cleanup waits for the handler; goleak proves it returned.
}

func TestSlowFaultAnswersAfterDelay(t *testing.T) {
	as, ts := newTestServer(t, authserver.Options{Clients: map[string]string{"c": "s"}})
	as.SetFault(authserver.Fault{Kind: authserver.FaultSlow, Delay: 20 * time.Millisecond})
	if r := postToken(t, ts, form("grant_type", "client_credentials"), []string{"c", "s"}); r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
}
