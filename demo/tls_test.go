package demo

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// The vault is https behind the fleet's own CA, trusted through ca_file: the
// real probe finds it healthy, with the tls.expiring warning; without the
// CA it is not trusted. Close removes the CA's temporary directory.
func TestVaultIsHTTPSAndExpiring(t *testing.T) {
	f := startFleet(t)
	s := serverNamed(t, f, "vault")
	if !strings.HasPrefix(s.URL, "https://") || s.TLS.CAFile == "" {
		t.Fatalf("vault: url %q, tls %+v", s.URL, s.TLS)
	}
	pool := probe.NewPool(&config.File{Path: "t", Concurrency: 1, PerHost: 1, Servers: []config.Server{s}}, probe.NewChecker("test"))
	pool.Sweep(context.Background())
	st := pool.Snapshot().Servers[0]
	if st.Last.Status != probe.StatusHealthy || st.Last.TLS == nil || !st.Last.TLS.Verified {
		t.Fatalf("vault: %s %s %s, tls %+v", st.Last.Status, st.Last.Class, st.Last.Message, st.Last.TLS)
	}
	if len(st.Warnings) != 1 || st.Warnings[0].Class != probe.WarnTLSExpiring ||
		!strings.Contains(st.Warnings[0].Message, "server certificate expires in 4d") && !strings.Contains(st.Warnings[0].Message, "server certificate expires in 5d") {
		t.Fatalf("vault warnings %+v", st.Warnings)
	}
	if y := string(f.YAML()); !strings.Contains(y, "    tls:\n      ca_file: ") || !strings.Contains(y, s.TLS.CAFile) {
		t.Errorf("--print-config lacks the ca_file:\n%s", f.YAML())
	}

	s.TLS = config.TLS{}
	pool = probe.NewPool(&config.File{Path: "t", Concurrency: 1, PerHost: 1, Servers: []config.Server{s}}, probe.NewChecker("test"))
	pool.Sweep(context.Background())
	if st := pool.Snapshot().Servers[0]; st.Last.Class != "connect.tls" {
		t.Errorf("without ca_file: %s %s", st.Last.Class, st.Last.Message)
	}

	f.Close()
	if _, err := os.Stat(serverNamed(t, f, "vault").TLS.CAFile); !os.IsNotExist(err) {
		t.Errorf("the CA file outlives the fleet: %v", err)
	}
}
