package probe

import (
	"context"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

// TestSkipReasonIsStable: with several unset variables the reason names the
// same one every time (map order must not make the skip reason flap).
func TestSkipReasonIsStable(t *testing.T) {
	srv := &config.Server{Name: "s", URL: "https://x.invalid/mcp", Transport: config.TransportHTTP, Headers: map[string]config.Secret{}}
	for _, h := range []string{"X-D", "X-B", "X-A", "X-C", "X-E"} {
		srv.Headers[h] = config.Secret{Env: "MCPW_UNSET_" + h[2:]}
	}
	for range 50 {
		_, skip := prepare(context.Background(), srv)
		if skip == nil || skip.Message != "secret env MCPW_UNSET_A is not set" {
			t.Fatalf("skip = %+v, want the reason for X-A every time", skip)
		}
	}
}
