package metrics

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/mcpwatch/mcpwatch/probe"
)

// constCollector collects what poolCollector does, made as prometheus
// const metrics: the exposition builds must reproduce byte for byte.
type constCollector struct{ *poolCollector }

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.build(true) {
		ch <- m
	}
}

// TestBuildMatchesConstMetrics: every kind of series a scrape has (each
// status, skip classes, warnings, token and certificate expiry, inventory,
// counters, histograms with counts in several buckets, a server never
// checked) is exposed exactly as const metrics expose it, scrape after scrape
// (the second reuses shared label pairs and buckets).
// seriesFixture is a collector with every kind of series a scrape has,
// its pool's series to carry vantage ("" for none).
func seriesFixture(vantage string) *poolCollector {
	now := time.Unix(1_800_000_000, 123_456_789)
	src := &fakeSource{requests: map[string]int64{"ok": 3, "error": 1}}
	var states []probe.ServerState
	for _, s := range probe.Statuses {
		states = append(states, state("srv-"+string(s), s))
	}
	skipped := state("skip-secret", probe.StatusSkipped)
	skipped.Last.Class = "skip.secret"
	warned := state("warned", probe.StatusHealthy)
	warned.Warnings = []probe.Warning{{Class: probe.WarnFlapping}, {Class: probe.WarnTLSExpiring}}
	warned.Token = &probe.TokenInfo{Expiry: now.Add(time.Hour), TLS: &probe.CertInfo{NotAfter: now.Add(48 * time.Hour)}}
	warned.Last.TLS = &probe.CertInfo{NotAfter: now.Add(24 * time.Hour)}
	inv := state("inventoried", probe.StatusDegraded)
	inv.Inventory = &probe.InventoryState{Current: &probe.Inventory{Items: []probe.InventoryItem{{Kind: "tool", Name: "a"}, {Kind: "tool", Name: "b"}, {Kind: "prompt", Name: "p"}}}}
	states = append(states, skipped, warned, inv, probe.ServerState{Name: `quote"and\back`, Last: &probe.Result{}})
	src.set(states...)

	c := newPoolCollector(src, vantage)
	src.Observe(c.observe)
	for i, d := range []time.Duration{time.Millisecond, 7 * time.Millisecond, 300 * time.Millisecond, time.Minute} {
		src.observer(result("warned", probe.StatusHealthy,
			probe.StageTiming{Stage: probe.StageToken, Duration: d, OK: true},
			probe.StageTiming{Stage: probe.StageLiveness, Duration: d * time.Duration(i+1), OK: true}))
		src.observer(result("srv-unhealthy", probe.StatusUnhealthy, probe.StageTiming{Stage: probe.StageConnect, Duration: d}))
	}
	return c
}

func TestBuildMatchesConstMetrics(t *testing.T) {
	c := seriesFixture("")
	want := gatherText(t, prometheus.NewPedanticRegistry(), constCollector{c}, nil) // checks every series against its desc too
	for range 2 {
		if got := gatherText(t, prometheus.NewPedanticRegistry(), c, nil); got != want {
			t.Fatalf("built exposition differs from const metrics'\n got:\n%s\nwant:\n%s", got, want)
		}
	}
	if !bytes.Contains([]byte(want), []byte(`mcpwatch_probe_stage_duration_seconds_bucket{server="warned",stage="liveness",le="0.01"} 1`)) {
		t.Fatalf("the fixture lacks a histogram:\n%s", want)
	}
}

// gatherText is the text exposition of col gathered by reg, registered with
// wrap's labels on every series when wrap is not nil.
func gatherText(t *testing.T, reg *prometheus.Registry, col prometheus.Collector, wrap prometheus.Labels) string {
	t.Helper()
	var r prometheus.Registerer = reg
	if wrap != nil {
		r = prometheus.WrapRegistererWith(wrap, reg)
	}
	r.MustRegister(col)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// TestSharedStaysBounded: label pairs of servers gone and buckets past
// bucketLimit are dropped, so a long-running serve does not keep every
// count it ever exposed.
func TestSharedStaysBounded(t *testing.T) {
	var s shared
	s.prune(10, "")
	for i := range 1100 {
		s.pair("server", strconv.Itoa(i))
	}
	for i := range bucketLimit + 1 {
		s.bucket(i%len(bucketBounds), uint64(i))
	}
	s.prune(10, "")
	if len(s.pairs) != 0 || len(s.buckets) != 0 {
		t.Fatalf("after prune: %d pairs, %d buckets", len(s.pairs), len(s.buckets))
	}
	kept := s.pair("server", "0")
	s.prune(10_000, "") // within bounds: kept
	if s.pair("server", "0") != kept || len(s.pairs) != 1 {
		t.Fatalf("a pair within bounds was dropped (%d pairs)", len(s.pairs))
	}
}
