package probe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// Reading a secret file is bounded by the server's timeout (prepare makes
// the deadline; only a file gets a context of its own): past it, the
// server is skipped with the reason, here for a header and for stdio env.
func TestSecretFileReadIsBounded(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("s3cret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := resolveBy(context.Background(), config.Secret{File: file}, time.Now().Add(time.Minute)); err != nil || v != "s3cret-value" {
		t.Fatalf("in time: %q, %v", v, err)
	}
	_, err := resolveBy(context.Background(), config.Secret{File: file}, time.Now().Add(-time.Second))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v, want deadline exceeded", err)
	}
	for _, srv := range []*config.Server{
		{Name: "h", URL: "https://x.invalid/mcp", Transport: config.TransportHTTP, Timeout: -time.Second,
			Headers: map[string]config.Secret{"X-Key": {File: file}}},
		{Name: "s", Transport: config.TransportStdio, Timeout: -time.Second,
			Stdio: config.Stdio{Allowed: true, Env: map[string]config.Secret{"KEY": {File: file}}}},
	} {
		_, skip := prepare(context.Background(), srv)
		if skip == nil || skip.Class != "skip.secret" || !strings.Contains(skip.Message, "deadline exceeded") {
			t.Fatalf("%s: skip = %+v, want the file read stopped by the deadline", srv.Name, skip)
		}
	}
}
