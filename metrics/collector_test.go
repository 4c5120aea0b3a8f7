package metrics

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// fakeSource is a Source whose snapshot a test sets: it stands in for a pool
// whose config is reloaded, which a real pool does outside this package.
type fakeSource struct {
	mu       sync.Mutex
	servers  []probe.ServerState
	requests map[string]int64
	observer func(probe.Result)
}

func (f *fakeSource) Snapshot() *probe.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	snap := &probe.Snapshot{Taken: time.Now()}
	for i := range f.servers {
		snap.Servers = append(snap.Servers, &f.servers[i])
	}
	return snap
}

func (f *fakeSource) TokenRequests() map[string]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeSource) Observe(fn func(probe.Result)) { f.observer = fn }

func (f *fakeSource) set(servers ...probe.ServerState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.servers = servers
}

func state(name string, status probe.Status) probe.ServerState {
	return probe.ServerState{Name: name, Checks: 1, Last: &probe.Result{Server: name, Status: status, Started: time.Now()}}
}

func result(name string, status probe.Status, stages ...probe.StageTiming) probe.Result {
	return probe.Result{Server: name, Status: status, Started: time.Now(), Stages: stages}
}

func TestNewRegistersTheObserver(t *testing.T) {
	src := &fakeSource{}
	New(src)
	if src.observer == nil {
		t.Fatal("New did not call Observe: histograms and check counters would stay empty")
	}
}

// TestRemovedServerDisappears: after a reload drops a server, no series of it
// remains — neither the snapshot gauges nor the observed counters and histograms.
func TestRemovedServerDisappears(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	src.set(state("a", probe.StatusHealthy), state("b", probe.StatusUnhealthy))
	connect := probe.StageTiming{Stage: probe.StageConnect, Duration: 3 * time.Millisecond}
	src.observer(result("a", probe.StatusHealthy, connect))
	src.observer(result("b", probe.StatusUnhealthy, connect))

	body := scrape(t, m.Handler())
	for _, name := range []string{"mcpwatch_server_up", "mcpwatch_server_status", "mcpwatch_checks_total", "mcpwatch_probe_stage_duration_seconds_count", "mcpwatch_last_check_timestamp_seconds"} {
		if !strings.Contains(body, name+`{server="b"`) {
			t.Fatalf("before removal: no %s for b\n%s", name, body)
		}
	}

	src.set(state("a", probe.StatusHealthy))
	body = scrape(t, m.Handler())
	if strings.Contains(body, `server="b"`) {
		t.Fatalf("server b was removed from the config but still has series:\n%s", grepLines(body, `server="b"`))
	}
	if !strings.Contains(body, `mcpwatch_probe_stage_duration_seconds_count{server="a",stage="connect"} 1`) {
		t.Fatalf("server a lost its histogram:\n%s", grepLines(body, `server="a"`))
	}

	// Back again under the same name: a new series, counted from zero.
	src.set(state("a", probe.StatusHealthy), probe.ServerState{Name: "b", Last: &probe.Result{Server: "b", Status: probe.StatusUnknown}})
	fams := families(t, scrape(t, m.Handler()))
	if v := value(one(t, fams, "mcpwatch_checks_total", map[string]string{"server": "b", "status": "unhealthy"})); v != 0 {
		t.Errorf("re-added b starts at %v checks, want 0", v)
	}
	if len(series(fams, "mcpwatch_probe_stage_duration_seconds", map[string]string{"server": "b"})) != 0 {
		t.Error("re-added b has a histogram before any check")
	}
}

// TestOnlyBoundedValuesBecomeLabels: a result naming a stage or status outside
// the fixed sets is not turned into a series, whatever else it carries.
func TestOnlyBoundedValuesBecomeLabels(t *testing.T) {
	src := &fakeSource{requests: map[string]int64{"ok": 3, "error": 1, "weird": 7}}
	m := New(src)
	src.set(state("a", probe.Status("exploded")))
	src.observer(probe.Result{Server: "a", Status: "exploded", Class: "class.from.remote", Message: "remote says hi",
		Stages: []probe.StageTiming{{Stage: "stage-from-nowhere", Duration: time.Second}}})

	body := scrape(t, m.Handler())
	for _, bad := range []string{"exploded", "stage-from-nowhere", "class.from.remote", "remote says hi", "weird"} {
		if strings.Contains(body, bad) {
			t.Errorf("%q reached the scrape:\n%s", bad, grepLines(body, bad))
		}
	}
	fams := families(t, body)
	for _, s := range probe.Statuses {
		if v := value(one(t, fams, "mcpwatch_server_status", map[string]string{"server": "a", "status": string(s)})); v != 0 {
			t.Errorf("status %s = %v for a server in no known status", s, v)
		}
	}
	if len(series(fams, "mcpwatch_server_up", nil)) != 0 {
		t.Error("up for a server in no known status")
	}
	if v := value(one(t, fams, "mcpwatch_token_requests_total", map[string]string{"result": "ok"})); v != 3 {
		t.Errorf("token requests ok = %v, want 3", v)
	}
}

// TestStageBucketBoundaries: a duration equal to a bound lands in that bucket
// (le is "less or equal"), above the last bound only in +Inf.
func TestStageBucketBoundaries(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	src.set(state("a", probe.StatusHealthy))
	for _, d := range []time.Duration{0, 5 * time.Millisecond, 6 * time.Millisecond, 2 * time.Minute} {
		src.observer(result("a", probe.StatusHealthy, probe.StageTiming{Stage: probe.StageHandshake, Duration: d}))
	}
	h := one(t, families(t, scrape(t, m.Handler())), "mcpwatch_probe_stage_duration_seconds", map[string]string{"server": "a", "stage": "handshake"}).GetHistogram()
	want := map[float64]uint64{0.005: 2, 0.01: 3, 30: 3}
	for _, b := range h.GetBucket() {
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
	if h.GetSampleCount() != 4 || h.GetSampleSum() < 120 || h.GetSampleSum() > 120.02 {
		t.Errorf("count %d sum %v, want 4 and 120.011", h.GetSampleCount(), h.GetSampleSum())
	}
}

// TestDuplicateNamesDoNotBreakTheScrape: one server name twice (possible only
// in a programmatic config) must not turn every scrape into an error.
func TestDuplicateNamesDoNotBreakTheScrape(t *testing.T) {
	src := &fakeSource{}
	m := New(src)
	src.set(state("twin", probe.StatusHealthy), state("twin", probe.StatusUnhealthy))
	fams := families(t, scrape(t, m.Handler()))
	if v := value(one(t, fams, "mcpwatch_server_up", map[string]string{"server": "twin"})); v != 1 {
		t.Errorf("up = %v, want the first twin's 1", v)
	}
}

func grepLines(body, s string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
