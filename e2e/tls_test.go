package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/demo"
)

// TestCertificateExpiringWarning: the demo's vault (https behind the fleet's
// own CA, its certificate expiring in 5 days) is healthy and warns
// tls.expiring in the table, in its detail view and in the events view.
func TestCertificateExpiringWarning(t *testing.T) {
	t.Parallel()
	tm := startDemoWith(t, 160, 48)
	screen := tm.waitFor("vault healthy with its certificate warning", func(s []string) bool {
		r := rows(s)["vault"]
		return r.status == "healthy" && strings.Contains(r.reason(), "server certificate expires in")
	})
	if r := rows(screen)["vault"]; !strings.Contains(r.line, "▲") {
		t.Errorf("vault's row has no warning glyph: %q", r.line)
	}
	tm.keys(true, "/")
	tm.keys(true, "vault")
	tm.keys(false, "Enter")
	tm.waitFor("the table filtered to vault", func(s []string) bool { return rows(s)["vault"].selected && len(rows(s)) == 1 })
	tm.keys(false, "Enter")
	screen = tm.waitFor("vault's detail view", func(s []string) bool {
		return strings.HasPrefix(s[0], "mcpwatch › vault") && contains(s, "Verified")
	})
	for _, want := range []string{"TLS          certificate expires in 5d", "issued by CN=mcpwatch demo private CA",
		"chain trusted, valid for 127.0.0.1", "Warning      ▲ server certificate expires in 5d"} {
		if !contains(screen, want) {
			t.Errorf("detail view lacks %q:\n%s", want, strings.Join(screen, "\n"))
		}
	}
	tm.keys(false, "Escape") // back to the table
	tm.waitFor("the filtered table", func(s []string) bool { return strings.Contains(s[0], "filter: vault") && len(rows(s)) == 1 })
	tm.keys(false, "Escape") // the filter cleared
	tm.waitFor("the whole table", func(s []string) bool { return len(rows(s)) == len(fleetNames) })
	tm.keys(true, "e")
	tm.waitFor("tls.expiring in the events view", func(s []string) bool {
		return strings.HasPrefix(s[0], "mcpwatch › events") && lineWith(s, "vault") != "" && contains(s, "tls.expiring")
	})
	tm.keys(false, "Escape")
	tm.waitFor("the table", func(s []string) bool { return len(rows(s)) == len(fleetNames) })
	tm.keys(true, "q")
	if status := tm.waitExit(); status != "0" {
		t.Errorf("mcpwatch demo exited with status %s after q, want 0", status)
	}
}

// TestCheckJSONOfTheDemoVault runs the binary's check on the demo fleet's
// config (the fleet in this process, its secrets in the environment the
// binary inherits): the vault's JSON has its certificate and the warning.
func TestCheckJSONOfTheDemoVault(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	bin := build(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fleet, err := demo.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	cfg := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(cfg, fleet.YAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "check", "--config", cfg, "--server", "vault", "-o", "json").Output()
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	var rep struct {
		Servers []struct {
			Name, Status string
			TLS          *struct {
				Verified bool `json:"verified"`
				Issuer   string
				NotAfter string `json:"not_after"`
			} `json:"tls"`
			Warnings []struct{ Class, Message string }
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Servers) != 1 {
		t.Fatalf("servers: %s", out)
	}
	s := rep.Servers[0]
	if s.Status != "healthy" || s.TLS == nil || !s.TLS.Verified || s.TLS.Issuer != "CN=mcpwatch demo private CA" || s.TLS.NotAfter == "" {
		t.Fatalf("vault: %s", out)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].Class != "tls.expiring" {
		t.Fatalf("vault warnings: %s", out)
	}
}
