package metrics

import (
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestFlappingWarningOfARealPool: a real server that fails at every other
// check raises the pool's flapping warning, and the scrape says so while
// its status is whatever the last check found.
func TestFlappingWarningOfARealPool(t *testing.T) {
	var down atomic.Bool
	mcp := mcpHandler("flappy")
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		mcp.ServeHTTP(w, r)
	})).URL
	pool := newPool(srv("flappy", url), srv("steady", serve(t, mcpHandler("steady")).URL))
	m := New(pool)
	for i := range 6 {
		down.Store(i%2 == 1)
		sweep(t, pool)
	}
	st := pool.Snapshot().Servers[0]
	if !slices.ContainsFunc(st.Warnings, func(w probe.Warning) bool { return w.Class == probe.WarnFlapping }) {
		t.Fatalf("fixture: no flapping warning after 6 alternating checks: %+v (history %v)", st.Warnings, st.History)
	}
	body := scrape(t, m.Handler())
	fams := families(t, body)
	for _, tc := range []struct {
		server, class string
		want          float64
	}{
		{"flappy", "flapping", 1}, {"flappy", "token.refresh_failing", 0},
		{"steady", "flapping", 0}, {"steady", "token.refresh_failing", 0},
	} {
		if got := value(one(t, fams, "mcpwatch_server_warning", map[string]string{"server": tc.server, "class": tc.class})); got != tc.want {
			t.Errorf("warning{%s,%s} = %v, want %v", tc.server, tc.class, got, tc.want)
		}
	}
	if v := value(one(t, fams, "mcpwatch_checks_total", map[string]string{"server": "flappy", "status": "unhealthy"})); v != 3 {
		t.Errorf("checks_total{flappy,unhealthy} = %v, want 3", v)
	}
	if strings.Contains(body, st.Warnings[0].Message) || strings.Contains(body, "changed between") {
		t.Error("a warning's message reached the scrape; only its class may")
	}
}

// TestTokenRefreshWarning: a healthy server whose token refresh fails while
// the old token holds is exported as warning{class="token.refresh_failing"}
// 1, beside up 1: it is up, and it warns.
func TestTokenRefreshWarning(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	warned := state("billing", probe.StatusHealthy)
	warned.Warnings = []probe.Warning{{Class: probe.WarnTokenRefresh, Message: "token refresh failing (invalid_client); the current token stays valid 4m0s more"}}
	src.set(warned, state("search", probe.StatusHealthy))
	fams := families(t, scrape(t, m.Handler()))
	for _, tc := range []struct {
		server, name, class string
		want                float64
	}{
		{"billing", "mcpwatch_server_warning", "token.refresh_failing", 1},
		{"billing", "mcpwatch_server_warning", "flapping", 0},
		{"billing", "mcpwatch_server_up", "", 1},
		{"search", "mcpwatch_server_warning", "token.refresh_failing", 0},
	} {
		labels := map[string]string{"server": tc.server}
		if tc.class != "" {
			labels["class"] = tc.class
		}
		if got := value(one(t, fams, tc.name, labels)); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, labels, got, tc.want)
		}
	}
}

// TestUnknownClassesStayOut: a skip or warning class outside the fixed
// lists never becomes a label value (the status state set still shows the
// server as skipped).
func TestUnknownClassesStayOut(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	odd := probe.ServerState{Name: "odd", Checks: 1, Last: &probe.Result{Server: "odd", Status: probe.StatusSkipped,
		Class: "skip.from-the-future", Message: "who knows", Started: time.Now()},
		Warnings: []probe.Warning{{Class: "warning.from-the-future", Message: "hmm"}}}
	src.set(odd)
	body := scrape(t, m.Handler())
	for _, bad := range []string{"skip.from-the-future", "warning.from-the-future", "who knows"} {
		if strings.Contains(body, bad) {
			t.Errorf("%q reached the scrape:\n%s", bad, grepLines(body, bad))
		}
	}
	fams := families(t, body)
	if v := value(one(t, fams, "mcpwatch_server_status", map[string]string{"server": "odd", "status": "skipped"})); v != 1 {
		t.Errorf("status{odd,skipped} = %v, want 1", v)
	}
	if n := len(series(fams, "mcpwatch_server_warning", map[string]string{"server": "odd"})); n != len(warningClasses) {
		t.Errorf("%d warning series, want the %d known classes", n, len(warningClasses))
	}
}

// TestSkipEvaluationsAreNotChecks: the observer sees a result every time
// the pool decides again not to check a skipped server; none of them is
// counted or timed.
func TestSkipEvaluationsAreNotChecks(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	src.set(state("off", probe.StatusSkipped))
	for range 5 {
		src.observer(result("off", probe.StatusSkipped))
	}
	body := scrape(t, m.Handler())
	for _, l := range strings.Split(grepLines(body, "mcpwatch_checks_total{"), "\n") {
		if !strings.HasSuffix(l, " 0") {
			t.Errorf("a skip was counted as a check: %s", l)
		}
	}
	if strings.Contains(grepLines(body, "mcpwatch_checks_total{"), `status="skipped"`) {
		t.Error("checks_total has a skipped series")
	}
	if strings.Contains(body, "mcpwatch_last_check_timestamp_seconds{") {
		t.Error("a skipped server has a last check time")
	}
}

// TestLabelSetsMatchProbe keeps the fixed class lists in step with the
// probe: a skip or warning class added there without being added here
// would silently never be exported.
func TestLabelSetsMatchProbe(t *testing.T) {
	files, err := filepath.Glob("../probe/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("probe sources: %v %v", files, err)
	}
	skips := map[string]bool{}
	warns := map[string]bool{}
	skipRe := regexp.MustCompile(`"(skip\.[a-z_]+)"`)
	warnRe := regexp.MustCompile(`(?m)^\s*Warn[A-Za-z]+\s*=\s*"([^"]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range skipRe.FindAllStringSubmatch(string(b), -1) {
			skips[m[1]] = true
		}
		for _, m := range warnRe.FindAllStringSubmatch(string(b), -1) {
			warns[m[1]] = true
		}
	}
	for name, pair := range map[string]struct {
		probe map[string]bool
		here  []string
	}{"skip": {skips, skipClasses}, "warning": {warns, warningClasses}} {
		got, want := slices.Sorted(maps.Keys(pair.probe)), slices.Sorted(slices.Values(pair.here))
		if len(got) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s classes: probe has %v, metrics exports %v", name, got, want)
		}
	}
}

// TestReleaseBuildInfo: a release build (.goreleaser.yaml sets these with
// -X) names its version and commit in mcpwatch_build_info.
func TestReleaseBuildInfo(t *testing.T) {
	defer func(v, r string) { releaseVersion, releaseRevision = v, r }(releaseVersion, releaseRevision)
	releaseVersion, releaseRevision = "1.2.3", "0123456789abcdef"
	bi := one(t, families(t, scrape(t, New(&fakeSource{}).Handler())), "mcpwatch_build_info", nil)
	if label(bi, "version") != "1.2.3" || label(bi, "revision") != "0123456789abcdef" {
		t.Errorf("build info %v, want the release's version and revision", bi.GetLabel())
	}
}
