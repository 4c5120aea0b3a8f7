package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/internal/testnet"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/promsource"
	"github.com/mcpwatch/mcpwatch/shard"
)

// needPrometheus is the prometheus binary (Debian package prometheus, the
// one that also gives promtool). Outside CI its absence skips; in CI it fails.
func needPrometheus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("prometheus is not installed (apt-get install prometheus); the sharding end-to-end test needs it")
		}
		t.Fatal("prometheus is not installed, and CI is set: CI must install the Debian package prometheus")
	}
	return bin
}

// The fleet: healthy servers, one nothing listens on, and "flaky", which
// the eu-west replica cannot reach (its config points at a closed port: a
// network path that is broken from one vantage point only).
var promFleet = []string{"alpha", "bravo", "charlie", "delta", "echo", "flaky", "gone"}

// TestShardsAndVantagesThroughPrometheus: a real Prometheus scrapes two
// `serve --metrics --shard K/2` instances (vantage home) and one unsharded
// `--vantage eu-west` replica. Each server is exported by exactly the
// shard that owns it; the Prometheus source shows every server once with
// the right status and vantage split; the dashboard in tmux shows the same.
func TestShardsAndVantagesThroughPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	promBin := needPrometheus(t)
	bin := build(t)
	dir := t.TempDir()

	mcp := httptest.NewServer(server.NewStreamableHTTPServer(server.NewMCPServer("e2e-prom", "1.0.0")))
	t.Cleanup(mcp.Close)
	closed := closedURL(t)
	config := func(flakyURL string) string {
		var b strings.Builder
		b.WriteString("defaults: {interval: 2s, timeout: 2s, slow: 2s}\nservers:\n")
		for _, n := range promFleet {
			u := mcp.URL + "/mcp"
			switch n {
			case "gone":
				u = closed
			case "flaky":
				u = flakyURL
			}
			fmt.Fprintf(&b, "  - name: %s\n    url: %s\n    transport: http\n", n, u)
		}
		return b.String()
	}
	home, eu := filepath.Join(dir, "home.yaml"), filepath.Join(dir, "eu.yaml")
	writeFile(t, home, config(mcp.URL+"/mcp"))
	writeFile(t, eu, config(closed))

	var targets []string
	for _, args := range [][]string{
		{"--config", home, "--shard", "1/2", "--vantage", "home"},
		{"--config", home, "--shard", "2/2", "--vantage", "home"},
		{"--config", eu, "--vantage", "eu-west"},
	} {
		targets = append(targets, startServe(t, bin, args...))
	}
	promURL, stopProm := startPrometheus(t, promBin, dir, targets)

	// Wait until every server has a settled status from every vantage point.
	want := map[string]string{"alpha": "healthy", "bravo": "healthy", "charlie": "healthy", "delta": "healthy",
		"echo": "healthy", "flaky": "healthy", "gone": "unhealthy"}
	var got []promSample
	waitUntil(t, 90*time.Second, "every server settled in Prometheus from both vantage points", func() bool {
		got = instant(t, promURL, `mcpwatch_server_status{job="mcpwatch"} == 1`)
		n := 0
		for _, s := range got {
			if s.Metric["status"] != "unknown" {
				n++
			}
		}
		return n == 2*len(promFleet)
	})
	perServer := map[string]int{}
	for _, s := range got {
		name, v := s.Metric["server"], s.Metric["vantage"]
		if v != "home" {
			continue
		}
		perServer[name]++
		owner := shard.Owner(name, 2)
		if s.Metric["instance"] != targets[owner-1] {
			t.Errorf("%s is exported by %s, but shard %d/2 (%s) owns it", name, s.Metric["instance"], owner, targets[owner-1])
		}
	}
	for _, n := range promFleet {
		if perServer[n] != 1 {
			t.Errorf("%s is checked by %d shards, want exactly 1", n, perServer[n])
		}
	}

	// The Prometheus source, as the dashboard reads it.
	src, err := promsource.New(promsource.Options{URL: promURL, Selector: `{job="mcpwatch"}`, Refresh: time.Second, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	src.Refresh(context.Background())
	snap := src.Snapshot()
	if snap.Notice != "" {
		t.Errorf("notice on a healthy Prometheus: %q", snap.Notice)
	}
	rowsBy := map[string]*probe.ServerState{}
	for _, st := range snap.Servers {
		rowsBy[st.Name] = st
	}
	for name, w := range want {
		st := rowsBy[name]
		if st == nil {
			t.Errorf("%s: not in the view read from Prometheus", name)
			continue
		}
		status := w
		if name == "flaky" {
			status = "unhealthy" // the worst any vantage point sees
		}
		if string(st.Last.Status) != status {
			t.Errorf("%s: %s, want %s (%q)", name, st.Last.Status, status, st.Last.Message)
		}
	}
	if m := rowsBy["flaky"].Last.Message; m != "down from 1 of 2: eu-west (connect.refused); home healthy" {
		t.Errorf("flaky's vantage split: %q", m)
	}
	if m := rowsBy["gone"].Last.Message; m != "down from 2 of 2: eu-west (connect.refused), home (connect.refused)" {
		t.Errorf("gone's vantage split: %q", m)
	}
	if m := rowsBy["alpha"].Last.Message; m != "healthy from all 2 vantage points" {
		t.Errorf("alpha's vantage split: %q", m)
	}
	if !strings.Contains(snap.Source, "3 instance(s), shards 1/2 2/2, vantages eu-west home") {
		t.Errorf("source %q does not name the instances", snap.Source)
	}

	// The dashboard in a real terminal.
	needTmux(t)
	tm := startBin(t, 120, 30, "--prometheus", promURL, "--selector", `{job="mcpwatch"}`, "--prometheus-refresh", "1s")
	screen := tm.waitFor("every server on the Prometheus dashboard", func(s []string) bool {
		rs := rows(s)
		for _, n := range promFleet {
			if rs[n].name == "" {
				return false
			}
		}
		return true
	})
	rs := rows(screen)
	for name, w := range want {
		if name == "flaky" {
			w = "unhealthy"
		}
		if rs[name].status != w {
			t.Errorf("screen: %s is %s, want %s:\n%s", name, rs[name].status, w, strings.Join(screen, "\n"))
		}
	}
	if !contains(screen, "down from 1 of 2: eu-west") {
		t.Errorf("the vantage split is not on screen:\n%s", strings.Join(screen, "\n"))
	}
	tm.keys(true, "R")
	tm.waitFor("why R does nothing", func(s []string) bool { return contains(s, "read-only: this view reads Prometheus") })

	// Prometheus goes away: a line says so with the age of the data, which stays.
	stopProm()
	screen = tm.waitFor("the notice that Prometheus is gone", func(s []string) bool {
		return contains(s, "cannot be reached (connect: connection refused)") && contains(s, "data from ")
	})
	if rs := rows(screen); rs["gone"].status != "unhealthy" || rs["alpha"].status != "healthy" {
		t.Errorf("the last data was not kept:\n%s", strings.Join(screen, "\n"))
	}
	tm.keys(true, "q")
}

// startServe runs `mcpwatch serve --metrics 127.0.0.1:0 --no-state args…`
// and returns the address it serves metrics on (from its log).
func startServe(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--metrics", "127.0.0.1:0", "--no-state"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	addrRE := regexp.MustCompile(`msg="serving metrics" addr=(127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	var log strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-found:
		return a
	case <-time.After(deadline):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("serve %v did not say where it serves metrics:\n%s", args, log.String())
	}
	return ""
}

// startPrometheus runs a real Prometheus on a free loopback port with its
// own storage, scraping targets every second, and waits until it is ready.
// stop ends it (and is also done at cleanup).
func startPrometheus(t *testing.T, bin, dir string, targets []string) (base string, stop func()) {
	t.Helper()
	cfg := filepath.Join(dir, "prometheus.yml")
	quoted := make([]string, len(targets))
	for i, a := range targets {
		quoted[i] = `"` + a + `"`
	}
	writeFile(t, cfg, "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"+
		"  - job_name: mcpwatch\n    static_configs:\n      - targets: ["+strings.Join(quoted, ", ")+"]\n")
	addr := testnet.FreeLowAddr(t) // not an ephemeral port a parallel test's connection may take
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr, "--log.level=warn")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Signal(os.Interrupt); <-exited }) }
	t.Cleanup(stop)
	base = "http://" + addr
	waitUntil(t, 60*time.Second, "Prometheus ready", func() bool {
		select {
		case <-exited:
			t.Fatalf("prometheus exited:\n%s", out.String())
		default:
		}
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base, stop
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func closedURL(t *testing.T) string { return "http://" + freeAddr(t) + "/mcp" }

type promSample struct {
	Metric map[string]string `json:"metric"`
}

// instant runs one instant query against the test's own Prometheus.
func instant(t *testing.T, base, q string) []promSample {
	t.Helper()
	resp, err := http.PostForm(base+"/api/v1/query", url.Values{"query": {q}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Status string `json:"status"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a); err != nil || a.Status != "success" {
		t.Fatalf("query %s: %v (status %q)", q, err, a.Status)
	}
	return a.Data.Result
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
