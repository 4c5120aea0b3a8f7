package metrics

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// fleet is a real pool over real peers, with metrics registered before any
// check: one server per status the probe can reach, plus one never checked
// and two skipped for different reasons (disabled, secret not set).
type fleet struct {
	pool    *probe.Pool
	metrics *Metrics
	swept   []string // every server but "never"
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	t.Setenv("MCPW_METRICS_SECRET", testSecret)
	t.Setenv("MCPW_METRICS_WRONG", "not-the-secret")
	ts := newTokenServer(t)
	off := srv("off", serve(t, mcpHandler("off")).URL)
	off.Disabled = true
	pool := newPool(
		srv("plain", serve(t, mcpHandler("plain")).URL),
		oauthSrv("oauth", ts.protected(t, "oauth", nil), ts.url+"/token", "MCPW_METRICS_SECRET"),
		srv("down", closedURL(t)),
		oauthSrv("rejected", ts.protected(t, "rejected", nil), ts.url+"/token", "MCPW_METRICS_WRONG"),
		off,
		oauthSrv("nosecret", ts.protected(t, "nosecret", nil), ts.url+"/token", "MCPW_METRICS_NEVER_SET"),
		srv("never", closedURL(t)),
	)
	return &fleet{pool: pool, metrics: New(pool), swept: []string{"plain", "oauth", "down", "rejected", "off", "nosecret"}}
}

var wantStatus = map[string]probe.Status{
	"plain": probe.StatusHealthy, "oauth": probe.StatusHealthy, "down": probe.StatusUnhealthy,
	"rejected": probe.StatusAuthError, "off": probe.StatusSkipped, "nosecret": probe.StatusSkipped, "never": probe.StatusUnknown,
}

// wantSkip is the class of each skipped server of the fleet.
var wantSkip = map[string]string{"off": "skip.disabled", "nosecret": "skip.secret"}

func TestScrapeOfARealPool(t *testing.T) {
	f := newFleet(t)
	const sweeps = 2
	var results []probe.Result
	for range sweeps {
		results = append(results, sweep(t, f.pool, f.swept...)...)
	}
	snap := f.pool.Snapshot()
	for _, st := range snap.Servers {
		if st.Last.Status != wantStatus[st.Name] {
			t.Fatalf("fixture: %s is %s (%s %s), want %s", st.Name, st.Last.Status, st.Last.Class, st.Last.Message, wantStatus[st.Name])
		}
		if c, skipped := wantSkip[st.Name]; skipped && (st.Last.Class != c || st.Checks != sweeps) {
			t.Fatalf("fixture: %s skipped as %s after %d evaluations, want %s after %d", st.Name, st.Last.Class, st.Checks, c, sweeps)
		}
	}
	fams := families(t, scrape(t, f.metrics.Handler()))

	t.Run("up", func(t *testing.T) {
		for name, want := range map[string]float64{"plain": 1, "oauth": 1, "down": 0, "rejected": 0} {
			if got := value(one(t, fams, "mcpwatch_server_up", map[string]string{"server": name})); got != want {
				t.Errorf("up{%s} = %v, want %v", name, got, want)
			}
		}
		for _, name := range []string{"off", "nosecret", "never"} {
			if n := len(series(fams, "mcpwatch_server_up", map[string]string{"server": name})); n != 0 {
				t.Errorf("up{%s}: %d series; skipped and unknown servers have no up", name, n)
			}
		}
	})

	t.Run("skipped with its class", func(t *testing.T) {
		for name := range wantStatus {
			all := series(fams, "mcpwatch_server_skipped", map[string]string{"server": name})
			class, skipped := wantSkip[name]
			if !skipped {
				if len(all) != 0 {
					t.Errorf("skipped{%s}: %d series for a server that is %s", name, len(all), wantStatus[name])
				}
				continue
			}
			if len(all) != 1 || label(all[0], "class") != class || value(all[0]) != 1 {
				t.Errorf("skipped{%s}: %v, want one series {class=%q} 1", name, all, class)
			}
		}
	})

	t.Run("warnings, none in this fleet", func(t *testing.T) {
		for name := range wantStatus {
			all := series(fams, "mcpwatch_server_warning", map[string]string{"server": name})
			if len(all) != len(warningClasses) {
				t.Fatalf("warning{%s}: %d series, want one per class (%d)", name, len(all), len(warningClasses))
			}
			for _, m := range all {
				if value(m) != 0 {
					t.Errorf("warning{%s,%s} = %v, want 0", name, label(m, "class"), value(m))
				}
			}
		}
	})

	t.Run("status state set", func(t *testing.T) {
		for name, want := range wantStatus {
			all := series(fams, "mcpwatch_server_status", map[string]string{"server": name})
			if len(all) != len(probe.Statuses) {
				t.Fatalf("status{%s}: %d series, want one per status (%d)", name, len(all), len(probe.Statuses))
			}
			for _, s := range probe.Statuses {
				v := value(one(t, fams, "mcpwatch_server_status", map[string]string{"server": name, "status": string(s)}))
				if (s == want) != (v == 1) || (v != 0 && v != 1) {
					t.Errorf("status{%s,%s} = %v; current status is %s", name, s, v, want)
				}
			}
		}
	})

	t.Run("checks total counts checks, not skips", func(t *testing.T) {
		for name, want := range wantStatus {
			if n := len(series(fams, "mcpwatch_checks_total", map[string]string{"server": name})); n != 4 {
				t.Errorf("checks_total{%s}: %d series, want one per status a check can find (4)", name, n)
			}
			for _, s := range []probe.Status{probe.StatusAuthError, probe.StatusUnhealthy, probe.StatusDegraded, probe.StatusHealthy} {
				got := value(one(t, fams, "mcpwatch_checks_total", map[string]string{"server": name, "status": string(s)}))
				exp := 0.0
				if s == want {
					exp = sweeps
				}
				if got != exp {
					t.Errorf("checks_total{%s,%s} = %v, want %v", name, s, got, exp)
				}
			}
		}
	})

	t.Run("stage histograms count every check", func(t *testing.T) {
		ran := map[[2]string]uint64{}
		for _, r := range results {
			for _, st := range r.Stages {
				ran[[2]string{r.Server, string(st.Stage)}]++
			}
		}
		for _, must := range [][2]string{{"plain", "connect"}, {"plain", "handshake"}, {"plain", "liveness"}, {"oauth", "token"}, {"down", "connect"}, {"rejected", "token"}} {
			if ran[must] != sweeps {
				t.Fatalf("fixture: %v ran %d times, want %d", must, ran[must], sweeps)
			}
		}
		got := map[[2]string]uint64{}
		for _, m := range fams["mcpwatch_probe_stage_duration_seconds"].GetMetric() {
			h := m.GetHistogram()
			key := [2]string{label(m, "server"), label(m, "stage")}
			got[key] = h.GetSampleCount()
			if h.GetSampleSum() < 0 || math.IsNaN(h.GetSampleSum()) {
				t.Errorf("%v: sum %v", key, h.GetSampleSum())
			}
			bs := h.GetBucket()
			if len(bs) != len(StageBuckets)+1 || !math.IsInf(bs[len(bs)-1].GetUpperBound(), 1) ||
				bs[len(bs)-1].GetCumulativeCount() != h.GetSampleCount() {
				t.Fatalf("%v: buckets %v, want the %d bounds and +Inf holding every sample", key, bs, len(StageBuckets))
			}
			for i := 1; i < len(bs); i++ {
				if bs[i].GetCumulativeCount() < bs[i-1].GetCumulativeCount() {
					t.Errorf("%v: buckets not cumulative", key)
				}
			}
		}
		for key, n := range ran {
			if got[key] != n {
				t.Errorf("histogram %v counts %d, want %d (one per check that ran the stage)", key, got[key], n)
			}
		}
		for key := range got {
			if ran[key] == 0 {
				t.Errorf("histogram %v exists, but no check ran that stage", key)
			}
		}
	})

	t.Run("last check and token expiry", func(t *testing.T) {
		for _, st := range snap.Servers {
			last := series(fams, "mcpwatch_last_check_timestamp_seconds", map[string]string{"server": st.Name})
			if st.Name == "never" || wantSkip[st.Name] != "" {
				if len(last) != 0 {
					t.Errorf("%s (%s) has a last check time; it was never checked", st.Name, st.Last.Status)
				}
				continue
			}
			if len(last) != 1 || math.Abs(value(last[0])-unix(st.Last.Started)) > 1e-3 {
				t.Errorf("last_check{%s} = %v, want %v", st.Name, last, unix(st.Last.Started))
			}
		}
		oauth := snap.Servers[slices.IndexFunc(snap.Servers, func(s *probe.ServerState) bool { return s.Name == "oauth" })]
		exp := value(one(t, fams, "mcpwatch_token_expiry_timestamp_seconds", map[string]string{"server": "oauth"}))
		if math.Abs(exp-unix(oauth.Token.Expiry)) > 1e-3 || exp < unix(time.Now().Add(50*time.Minute)) {
			t.Errorf("token expiry %v, snapshot says %v (an hour-long token)", exp, oauth.Token.Expiry)
		}
		if n := len(fams["mcpwatch_token_expiry_timestamp_seconds"].GetMetric()); n != 1 {
			t.Errorf("%d token expiry series, want only the oauth server's (the rejected one has no token)", n)
		}
	})

	t.Run("token requests", func(t *testing.T) {
		tr := f.pool.TokenRequests()
		if tr["ok"] < 1 || tr["error"] < 1 {
			t.Fatalf("fixture: token requests %v, want both results", tr)
		}
		for _, r := range []string{"ok", "error"} {
			if got := value(one(t, fams, "mcpwatch_token_requests_total", map[string]string{"result": r})); got != float64(tr[r]) {
				t.Errorf("token_requests_total{%s} = %v, want %d", r, got, tr[r])
			}
		}
	})

	t.Run("build info and runtime collectors", func(t *testing.T) {
		bi := one(t, fams, "mcpwatch_build_info", nil)
		if value(bi) != 1 || label(bi, "version") == "" || !strings.HasPrefix(label(bi, "goversion"), "go") {
			t.Errorf("build info %v", bi)
		}
		for _, name := range []string{"go_goroutines", "process_start_time_seconds", "promhttp_metric_handler_requests_total"} {
			if fams[name] == nil {
				t.Errorf("%s missing", name)
			}
		}
	})

	t.Run("labels stay bounded", func(t *testing.T) {
		allowed := map[string][]string{
			"server": {"plain", "oauth", "down", "rejected", "off", "nosecret", "never"},
			"stage":  {"config", "token", "connect", "handshake", "liveness"},
			"status": statusStrings(),
			"result": {"ok", "error"},
			"class": {"skip.disabled", "skip.user_login", "skip.secret", "skip.stdio", "token.refresh_failing", "flapping",
				"tls.expiring", "tls.insecure", "inventory.changed", "inventory.failed"},
			"endpoint": {"server", "token"},
			"kind":     {"tool", "prompt", "resource"},
			"shard":    {""}, // mcpwatch_instance_info of an unsharded instance
		}
		for name, fam := range fams {
			if !strings.HasPrefix(name, "mcpwatch_") || name == "mcpwatch_build_info" {
				continue
			}
			for _, m := range fam.GetMetric() {
				for _, lp := range m.GetLabel() {
					if name == "mcpwatch_server_failure_info" && lp.GetName() == "class" && failureClass(lp.GetValue()) == lp.GetValue() {
						continue // bounded by failureClass (failure.go)
					}
					if !slices.Contains(allowed[lp.GetName()], lp.GetValue()) {
						t.Errorf("%s has label %s=%q outside the bounded sets", name, lp.GetName(), lp.GetValue())
					}
				}
			}
		}
	})
}

func TestHealthzAndRoutes(t *testing.T) {
	h := New(newPool(srv("a", closedURL(t)))).Handler()
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{http.MethodGet, "/healthz", 200, "ok\n"},
		{http.MethodHead, "/healthz", 200, ""},
		{http.MethodPost, "/metrics", 405, ""},
		{http.MethodGet, "/", 404, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.code || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, rec.Code, rec.Body, tc.code, tc.body)
		}
	}
}

func label(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func statusStrings() []string {
	var out []string
	for _, s := range probe.Statuses {
		out = append(out, string(s))
	}
	return out
}

// TestScrapesWhileThePoolRuns: scrapes race with checks being observed and
// recorded; -race must stay quiet, and the counts only grow.
func TestScrapesWhileThePoolRuns(t *testing.T) {
	a := srv("a", serve(t, mcpHandler("a")).URL)
	b := srv("b", closedURL(t))
	a.Interval, b.Interval = 10*time.Millisecond, 10*time.Millisecond
	pool := newPool(a, b)
	m := New(pool)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	h := m.Handler()
	var last float64
	deadline := time.Now().Add(5 * time.Second)
	for last < 5 && time.Now().Before(deadline) {
		fams := families(t, scrape(t, h))
		ms := series(fams, "mcpwatch_probe_stage_duration_seconds", map[string]string{"server": "a", "stage": "connect"})
		if len(ms) == 1 {
			n := float64(ms[0].GetHistogram().GetSampleCount())
			if n < last {
				t.Fatalf("histogram count went back from %v to %v", last, n)
			}
			last = n
		}
	}
	if last < 5 {
		t.Fatalf("only %v checks of a observed while the pool ran", last)
	}
}

// TestReloadedPool: a server removed by a config reload leaves every metric,
// and a config that could not be applied shows as a failed reload.
func TestReloadedPool(t *testing.T) {
	a := srv("a", serve(t, mcpHandler("a")).URL)
	b := srv("b", closedURL(t))
	pool := newPool(a, b)
	m := New(pool)
	sweep(t, pool)
	body := scrape(t, m.Handler())
	if !strings.Contains(body, `mcpwatch_probe_stage_duration_seconds_count{server="b",stage="connect"} 1`) {
		t.Fatalf("fixture: no histogram for b\n%s", grepLines(body, `server="b"`))
	}
	if v := value(one(t, families(t, body), "mcpwatch_config_last_reload_successful", nil)); v != 1 {
		t.Errorf("reload successful = %v before any reload, want 1", v)
	}

	pool.Apply(&config.File{Path: "test", Concurrency: 8, PerHost: 8, Servers: []config.Server{a}})
	pool.SetConfigError("config.yaml:3:5: servers[1].url: required")
	body = scrape(t, m.Handler())
	if strings.Contains(body, `server="b"`) {
		t.Errorf("b was removed by a reload but still has series:\n%s", grepLines(body, `server="b"`))
	}
	if !strings.Contains(body, `mcpwatch_server_up{server="a"} 1`) {
		t.Errorf("a lost its series in the reload:\n%s", grepLines(body, `server="a"`))
	}
	if v := value(one(t, families(t, body), "mcpwatch_config_last_reload_successful", nil)); v != 0 {
		t.Errorf("reload successful = %v with a config error, want 0", v)
	}
	if strings.Contains(body, "servers[1].url") {
		t.Error("the config error's text reached the scrape")
	}
}
