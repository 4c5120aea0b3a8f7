package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	goccy "github.com/goccy/go-yaml"
	"go.yaml.in/yaml/v3"
)

// benchConfig is a fleet of n servers as scripts/benchfleet writes it: each
// with its own URL and an oauth2 client-credentials block, the secret an
// env reference.
func benchConfig(n int) []byte {
	var b bytes.Buffer
	b.WriteString("concurrency: 32\nper_host: 4\nservers:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: bench-%05d\n    url: http://127.%d.%d.%d:40000/mcp\n", i, 1+i/62500, (i/250)%250, 1+i%250)
		b.WriteString("    auth:\n      type: oauth2\n      token_url: http://127.0.0.1:39999/token\n      client_id: bench-client\n")
		b.WriteString("      client_secret: ${MCPW_BENCH_SECRET}\n      resource: https://fleet.example/\n")
	}
	return b.Bytes()
}

// benchConfigAnchored is benchConfig with the auth block written once,
// above the list, and each server's an alias of it (the x- convention).
func benchConfigAnchored(n int) []byte {
	var b bytes.Buffer
	b.WriteString("concurrency: 32\nper_host: 4\nx-auth: &auth\n  type: oauth2\n  token_url: http://127.0.0.1:39999/token\n")
	b.WriteString("  client_id: bench-client\n  client_secret: ${MCPW_BENCH_SECRET}\n  resource: https://fleet.example/\nservers:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: bench-%05d\n    url: http://127.%d.%d.%d:40000/mcp\n    auth: *auth\n", i, 1+i/62500, (i/250)%250, 1+i%250)
	}
	return b.Bytes()
}

// BenchmarkParse is loading a config of 1,000 and 10,000 servers (issue 12:
// under 0.25 s and 40 MB at 10,000). Beside it, the YAML library's own
// decode of the same bytes into plain Go values, the reference, and
// goccy/go-yaml's, the library the config was parsed with before.
func BenchmarkParse(b *testing.B) {
	b.Setenv("MCPW_BENCH_SECRET", "s3cret")
	for _, n := range []int{1000, 10000} {
		data := benchConfig(n)
		for _, c := range []struct {
			name string
			data []byte
		}{{"", data}, {"anchored-auth/", benchConfigAnchored(n)}} {
			data := c.data
			b.Run(fmt.Sprintf("%sservers=%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					f, _, err := Parse("bench.yaml", data)
					if err != nil || len(f.Servers) != n {
						b.Fatalf("parse: %v", err)
					}
				}
			})
		}
		for _, ref := range []struct {
			name      string
			unmarshal func([]byte, any) error
		}{{"yaml-unmarshal", yaml.Unmarshal}, {"goccy-unmarshal", goccy.Unmarshal}} {
			b.Run(fmt.Sprintf("%s/servers=%d", ref.name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					var v map[string]any
					if err := ref.unmarshal(data, &v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWatcherIdlePoll is one poll of the live-reload watcher over an
// unchanged 10,000-server config, once a second in every dashboard and
// serve: a stat, where it was a read and a SHA-256 of the whole file.
func BenchmarkWatcherIdlePoll(b *testing.B) {
	path := filepath.Join(b.TempDir(), "config.yaml")
	if err := os.WriteFile(path, benchConfig(10000), 0o600); err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		b.Fatal(err)
	}
	w := NewWatcher(path, time.Hour, nil)
	ctx := context.Background()
	for b.Loop() {
		w.poll(ctx, false, func(*File, []Warning, error) { b.Fatal("a reload of an unchanged file") })
	}
	b.ReportMetric(float64(w.reads)/float64(b.N), "reads/poll")
}
