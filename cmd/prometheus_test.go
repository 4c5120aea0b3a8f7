package cmd

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/shard"
)

// fakePrometheus answers every instant query with one healthy server,
// viaprom, for the status query and nothing for the others.
func fakePrometheus(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		result := "[]"
		if strings.HasPrefix(r.PostForm.Get("query"), "mcpwatch_server_status") {
			result = `[{"metric":{"server":"viaprom","status":"healthy","vantage":"eu-west"},"value":[1,"1"]}]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, result)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestServePrometheusOverSSH: a jump host serves the fleet read from
// Prometheus to an OpenSSH viewer; R there says why it does nothing.
func TestServePrometheusOverSSH(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "id_viewer")
	line, _ := writeClientKey(t, keyPath)
	auth := filepath.Join(dir, "authorized_keys")
	writeFile(t, auth, line)
	p := startInProcess(t, true, "serve", "--prometheus", fakePrometheus(t), "--ssh", "127.0.0.1:0",
		"--host-key", filepath.Join(dir, "host_key"), "--authorized-keys", auth)
	_, port, _ := net.SplitHostPort(p.addr.String())
	v := startViewer(t, keyPath, port)
	serveWaitUntil(t, "viaprom on the viewer's screen", func() bool { return strings.Contains(v.out.String(), "viaprom") })
	if _, err := v.stdin.Write([]byte("R")); err != nil {
		t.Fatal(err)
	}
	serveWaitUntil(t, "why R does nothing", func() bool { return strings.Contains(v.out.String(), "read-only") })
	p.stop()
}

// TestServePrometheusUsageErrors: what cannot go with --prometheus says so.
func TestServePrometheusUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--prometheus", "http://127.0.0.1:9090"}, "pass --ssh ADDR"},
		{[]string{"serve", "--prometheus", "http://127.0.0.1:9090", "--metrics", "127.0.0.1:0"}, "--metrics would export nothing new"},
		{[]string{"serve", "--prometheus", "http://127.0.0.1:9090", "--shard", "1/2", "--ssh", ":0"}, "a --prometheus view checks nothing"},
		{[]string{"--prometheus", "http://127.0.0.1:9090", "--config", "x.yaml"}, "leave out --config"},
		{[]string{"--prometheus", "http://127.0.0.1:9090", "--no-state"}, "--prometheus keeps no state"},
		{[]string{"serve", "--prometheus", "http://127.0.0.1:9090", "--state-dir", "/tmp/x", "--ssh", ":0"}, "--prometheus keeps no state"},
		{[]string{"--prometheus", "http://u:pw@127.0.0.1:9090"}, "put no credentials in the URL"},
		{[]string{"--prometheus", "http://127.0.0.1:9090", "--prometheus-bearer-file", "/nonexistent/t"}, "--prometheus-bearer-file: open /nonexistent/t"},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errOut, ExitUsage, c.want)
		}
	}
}

// TestServeShardOnReload: a sharded serve exports only its share, also of
// the servers a live config edit adds.
func TestServeShardOnReload(t *testing.T) {
	mcp := httptest.NewServer(mcpHandler())
	t.Cleanup(mcp.Close)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	fleet := func(n int) string {
		var b strings.Builder
		b.WriteString("defaults: {interval: 1h}\nservers:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: s%02d, url: %q}\n", i, mcp.URL)
		}
		return b.String()
	}
	writeFile(t, cfgPath, fleet(6))
	p := startInProcess(t, false, "serve", "--config", cfgPath, "--metrics", "127.0.0.1:0", "--no-state", "--shard", "2/3")
	addr := p.waitLog(metricsAddrLine)[1]
	exported := func() map[string]bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		got := map[string]bool{}
		for _, m := range regexp.MustCompile(`mcpwatch_server_status\{server="(s\d+)"`).FindAllStringSubmatch(string(body), -1) {
			got[m[1]] = true
		}
		return got
	}
	want := func(n int) map[string]bool {
		out := map[string]bool{}
		for i := range n {
			if name := fmt.Sprintf("s%02d", i); shard.Owner(name, 3) == 2 {
				out[name] = true
			}
		}
		return out
	}
	p.waitLog(fmt.Sprintf(`msg="checking one shard of the config" shard=2/3 servers=%d of=6`, len(want(6))))
	same := func(a, b map[string]bool) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
	serveWaitUntil(t, "shard 2/3's servers of 6", func() bool { return same(exported(), want(6)) })
	writeFile(t, cfgPath, fleet(30))
	serveWaitUntil(t, "shard 2/3's servers of 30 after the edit; log:\n"+p.logs.String(), func() bool { return same(exported(), want(30)) })
	if len(want(30)) == 0 || len(want(30)) == 30 {
		t.Fatalf("a useless fleet: shard 2/3 owns %d of 30", len(want(30)))
	}
	p.stop()
}
