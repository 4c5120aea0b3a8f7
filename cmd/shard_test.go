package cmd

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/shard"
)

// A bad --shard or --vantage is a usage error that says how to fix it,
// before any config is read.
func TestShardAndVantageUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--metrics", "127.0.0.1:0", "--shard", "3/2"}, "K must be from 1 to N (2); shards are numbered 1/2"},
		{[]string{"serve", "--metrics", "127.0.0.1:0", "--shard", "two"}, "want K/N"},
		{[]string{"serve", "--metrics", "127.0.0.1:0", "--vantage", "eu west"}, "--vantage \"eu west\": use 1 to 40 letters"},
		{[]string{"check", "http://127.0.0.1:1/mcp", "--shard", "1/2"}, "an ad-hoc URL is one server"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, ExitUsage, c.want)
		}
	}
}

// check --shard K/N checks exactly its share; the shards together check
// every server once, and each says which shard it is.
func TestCheckShard(t *testing.T) {
	mcp := httptest.NewServer(mcpHandler())
	t.Cleanup(mcp.Close)
	var b strings.Builder
	b.WriteString("defaults: {interval: 30s, timeout: 2s, slow: 2s}\nservers:\n")
	var names []string
	for i := range 8 {
		n := fmt.Sprintf("srv-%d", i)
		names = append(names, n)
		fmt.Fprintf(&b, "  - name: %s\n    url: %s\n", n, mcp.URL)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, cfgPath, b.String())
	seen := map[string]int{}
	for k := 1; k <= 2; k++ {
		code, out, errOut := runCLI(t, "check", "--config", cfgPath, "--shard", fmt.Sprintf("%d/2", k), "-o", "json")
		if code != ExitOK {
			t.Fatalf("shard %d: exit %d\n%s%s", k, code, out, errOut)
		}
		var rep struct {
			Source  string `json:"source"`
			Servers []struct{ Name, Status string }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(rep.Source, fmt.Sprintf(" · shard %d/2", k)) {
			t.Errorf("source %q does not name the shard", rep.Source)
		}
		for _, s := range rep.Servers {
			seen[s.Name]++
			if shard.Owner(s.Name, 2) != k || s.Status != "healthy" {
				t.Errorf("shard %d checked %s (%s), owned by %d", k, s.Name, s.Status, shard.Owner(s.Name, 2))
			}
		}
	}
	for _, n := range names {
		if seen[n] != 1 {
			t.Errorf("%s checked %d times", n, seen[n])
		}
	}
	_, out, _ := runCLI(t, "check", "--config", cfgPath, "--shard", "1/2")
	if !strings.HasPrefix(out, "shard 1/2: ") {
		t.Errorf("table does not start by naming the shard:\n%s", out)
	}
	other := names[0]
	wrong := 3 - shard.Owner(other, 2)
	code, _, errOut := runCLI(t, "check", "--config", cfgPath, "--server", other, "--shard", fmt.Sprintf("%d/2", wrong))
	if code != ExitUsage || !strings.Contains(errOut, fmt.Sprintf("use --shard %d/2", 3-wrong)) {
		t.Errorf("--server of another shard: exit %d, %q", code, errOut)
	}
}
