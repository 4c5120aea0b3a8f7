package metrics

import (
	"net/http"
	"testing"
)

// TestFailureInfoAndSince: a failing server exports the stage and class of
// its failure (what the dashboard over Prometheus shows as the reason), and
// every checked server when its current status began.
func TestFailureInfoAndSince(t *testing.T) {
	up := serve(t, mcpHandler("up")).URL + "/mcp"
	broken := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})).URL + "/mcp"
	pool := newPool(srv("up", up), srv("refused", closedURL(t)), srv("broken", broken))
	m := New(pool)
	sweep(t, pool)
	fams := families(t, scrape(t, m.Handler()))

	if got := series(fams, "mcpwatch_server_failure_info", map[string]string{"server": "up"}); len(got) != 0 {
		t.Errorf("a healthy server has failure_info %v", got)
	}
	f := one(t, fams, "mcpwatch_server_failure_info", map[string]string{"server": "refused", "stage": "connect", "class": "connect.refused"})
	if value(f) != 1 {
		t.Errorf("failure_info = %v, want 1", value(f))
	}
	one(t, fams, "mcpwatch_server_failure_info", map[string]string{"server": "broken", "class": "http.503"})

	for _, st := range pool.Snapshot().Servers {
		s := one(t, fams, "mcpwatch_server_status_since_timestamp_seconds", map[string]string{"server": st.Name})
		if st.Since.IsZero() || value(s) != unix(st.Since) {
			t.Errorf("%s: since %v, want %v", st.Name, value(s), unix(st.Since))
		}
	}
}

// A failure class becomes a label value only from a bounded set: JSON-RPC
// error codes a peer chose outside the reserved range are one value, and
// anything not shaped like a class is "other".
func TestFailureClassIsBounded(t *testing.T) {
	for in, want := range map[string]string{
		"connect.refused":      "connect.refused",
		"http.503":             "http.503",
		"rpc.-32601":           "rpc.-32601",
		"rpc.-32022":           "rpc.-32022",
		"rpc.7":                "rpc.other",
		"rpc.-2147483648":      "rpc.other",
		"token.invalid_client": "token.invalid_client",
		"slow":                 "slow",
		"Bad Class\x1b[2J":     "other",
		"":                     "other",
	} {
		if got := failureClass(in); got != want {
			t.Errorf("failureClass(%q) = %q, want %q", in, got, want)
		}
	}
}
