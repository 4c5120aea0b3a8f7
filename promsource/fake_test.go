package promsource

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// series is one sample a fake Prometheus answers with.
type series struct {
	labels map[string]string
	value  string
}

// fakeProm answers instant queries by the metric the query starts with
// (or, for the latency and targets queries, contains). fault, when set,
// answers instead.
type fakeProm struct {
	mu     sync.Mutex
	data   map[string][]series
	fault  http.HandlerFunc
	auth   string // the Authorization header it wants, if any
	seen   []string
	header []string
}

func (f *fakeProm) set(edit func(f *fakeProm)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fault, data, auth := f.fault, f.data, f.auth
	f.header = append(f.header, r.Header.Get("Authorization"))
	f.mu.Unlock()
	if fault != nil {
		fault(w, r)
		return
	}
	if auth != "" && r.Header.Get("Authorization") != auth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.URL.Path != "/api/v1/query" || r.ParseForm() != nil {
		http.NotFound(w, r)
		return
	}
	q := r.PostForm.Get("query")
	f.mu.Lock()
	f.seen = append(f.seen, q)
	f.mu.Unlock()
	var out []series
	for metric, ss := range data {
		if strings.HasPrefix(q, metric+"{") || strings.Contains(q, "("+metric+"_sum{") || strings.HasPrefix(q, "("+metric+"{") {
			out = ss
		}
	}
	writeVector(w, out, nil)
}

func writeVector(w http.ResponseWriter, ss []series, warnings []string) {
	type res struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	body := map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": func() []res {
		out := []res{}
		for _, s := range ss {
			out = append(out, res{Metric: s.labels, Value: [2]any{1764575000.0, s.value}})
		}
		return out
	}()}}
	if warnings != nil {
		body["warnings"] = warnings
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func l(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// twoVantages is alpha healthy from both, beta down from eu-west only,
// gamma skipped, and a token on alpha.
func twoVantages() map[string][]series {
	status := func(server, vantage, st string) series {
		return series{l("__name__", "mcpwatch_server_status", "server", server, "vantage", vantage, "status", st), "1"}
	}
	return map[string][]series{
		"mcpwatch_server_status": {status("alpha", "eu-west", "healthy"), status("alpha", "us-east", "healthy"),
			status("beta", "eu-west", "unhealthy"), status("beta", "us-east", "healthy"), status("gamma", "us-east", "skipped")},
		"mcpwatch_last_check_timestamp_seconds": {{l("server", "alpha", "vantage", "eu-west"), "1764574990.5"},
			{l("server", "beta", "vantage", "eu-west"), "1764574980"}},
		"mcpwatch_token_expiry_timestamp_seconds": {{l("server", "alpha", "vantage", "us-east"), "1764578600"}},
		"mcpwatch_server_warning":                 {{l("server", "alpha", "vantage", "us-east", "class", "flapping"), "1"}},
		"mcpwatch_server_skipped":                 {{l("server", "gamma", "vantage", "us-east", "class", "skip.secret"), "1"}},
		"mcpwatch_probe_stage_duration_seconds":   {{l("server", "alpha", "vantage", "eu-west"), "0.042"}},
		"mcpwatch_server_failure_info":            {{l("server", "beta", "vantage", "eu-west", "stage", "connect", "class", "connect.refused"), "1"}},
		"mcpwatch_server_status_since_timestamp_seconds": {{l("server", "beta", "vantage", "eu-west"), "1764574700"},
			{l("server", "beta", "vantage", "us-east"), "1764500000"}},
		"mcpwatch_instance_info": {{l("shard", "", "vantage", "eu-west"), "1"},
			{l("shard", "", "vantage", "us-east"), "1"}},
	}
}

func newFakeSource(t *testing.T, f *fakeProm, edit func(*Options)) *Source {
	t.Helper()
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	o := Options{URL: ts.URL, Selector: `{job="mcpwatch"}`, Refresh: time.Second, Timeout: 2 * time.Second,
		now: func() time.Time { return time.Unix(1764575000, 0) }}
	if edit != nil {
		edit(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func byName(snap *probe.Snapshot) map[string]*probe.ServerState {
	m := map[string]*probe.ServerState{}
	for _, s := range snap.Servers {
		m[s.Name] = s
	}
	return m
}

func refresh(s *Source) *probe.Snapshot {
	s.Refresh(context.Background())
	return s.Snapshot()
}

func must(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}
