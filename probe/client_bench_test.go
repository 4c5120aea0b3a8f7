package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// benchFleetEnv makes the test binary a fleet for BenchmarkProbeClient: the
// value is how many servers, each on its own loopback address, behind one
// client-credentials token endpoint. The servers run in that other process,
// so the benchmark's CPU profile and figures are the client's alone.
const benchFleetEnv = "MCPW_PROBE_BENCH_FLEET"

// runBenchFleet serves the fleet, prints "token URL" and one "server URL"
// line each, then "ready", and exits when its stdin closes (the benchmark
// ended, or died).
func runBenchFleet(spec string) int {
	n, err := strconv.Atoi(spec)
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "bench fleet: bad size", spec)
		return 2
	}
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench fleet:", err)
		return 1
	}
	asURL := "http://" + ln.Addr().String()
	as.SetIssuer(asURL)
	go func() { _ = (&http.Server{Handler: as, ReadHeaderTimeout: 5 * time.Second}).Serve(ln) }()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "token", asURL+"/token")
	h := as.Protect(streamableHandler("bench"), authserver.Protection{})
	for i := range n {
		l, err := net.Listen("tcp", fmt.Sprintf("127.%d.%d.%d:0", 1+i/62500, (i/250)%250, 1+i%250))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench fleet:", err)
			return 1
		}
		go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}).Serve(l) }()
		fmt.Fprintln(out, "server", "http://"+l.Addr().String()+"/mcp")
	}
	fmt.Fprintln(out, "ready")
	_ = out.Flush()
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startBenchFleet runs the test binary as a fleet of n servers.
func startBenchFleet(b *testing.B, n int) (tokenURL string, urls []string) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchFleetEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		kind, v, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "token":
			tokenURL = v
		case "server":
			urls = append(urls, v)
		case "ready":
			return tokenURL, urls
		}
	}
	b.Fatalf("bench fleet ended before it was ready: %v", sc.Err())
	return "", nil
}

// cpuTime is this process's user and system CPU so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProbeClient is the client's side of a sweep (issue 12: at most
// 0.35 ms of CPU and 30 KB allocated per probe): 1,000 servers in another
// process, behind one client-credentials token, checked as `check` does.
// Reported per probe: CPU (user+system of this process, the checker's
// goroutines, the HTTP transport's and the GC's), bytes and allocations.
//
// inventory=on is the default config (the fleet's servers advertise tools,
// so each check fingerprints the tools/list page liveness fetched);
// inventory=off is the same fleet with `inventory: false`.
func BenchmarkProbeClient(b *testing.B) {
	const n = 1000
	tokenURL, urls := startBenchFleet(b, n)
	b.Setenv("MCPW_TEST_SECRET", testSecret)
	for _, inventory := range []bool{true, false} {
		b.Run(fmt.Sprintf("inventory=%s", map[bool]string{true: "on", false: "off"}[inventory]), func(b *testing.B) {
			benchProbeClient(b, n, tokenURL, urls, !inventory)
		})
	}
}

func benchProbeClient(b *testing.B, n int, tokenURL string, urls []string, noInventory bool) {
	cfg := &config.File{Path: "bench", Concurrency: config.DefaultConcurrency, PerHost: config.DefaultPerHost}
	for i, u := range urls {
		cfg.Servers = append(cfg.Servers, config.Server{Name: fmt.Sprintf("s%d", i), URL: u,
			Transport: config.TransportHTTP, Interval: time.Minute, Timeout: 10 * time.Second, Slow: 10 * time.Second,
			Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
				ClientSecret: config.Secret{Env: "MCPW_TEST_SECRET"}, TokenURL: tokenURL, Resource: "https://fleet.example/"},
			NoInventory: noInventory})
	}
	pool := NewPool(cfg, NewChecker("bench"))
	sweep := func() {
		for _, r := range pool.Sweep(context.Background()) {
			if r.Status != StatusHealthy {
				b.Fatalf("%s: %s %s %s", r.Server, r.Status, r.Class, r.Message)
			}
		}
	}
	sweep() // the token, and each server's era, as a running pool has them
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	sweeps := 0
	for b.Loop() {
		sweep()
		sweeps++
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	probes := float64(n * sweeps)
	b.ReportMetric(float64(cpu.Microseconds())/1000/probes, "cpu-ms/probe")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1024/probes, "KB/probe")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/probes, "allocs/probe")
	b.ReportMetric(probes/b.Elapsed().Seconds(), "probes/s")
}
