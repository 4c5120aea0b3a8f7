// Package metrics exposes a probe pool to Prometheus: /metrics and /healthz.
//
// Per-server gauges (up, status, token expiry, last check) are read from a
// fresh pool snapshot at every scrape, so they never go stale and a server
// removed from the config disappears with it. Histograms and counters that
// must see every check are fed by the pool's Observe hook.
//
// Labels stay bounded: server (from the config), stage (5 values), status
// (6 values), result (ok, error) and class, which is a skip or warning class
// from a fixed list, or a failure class bounded by failureClass. Nothing else
// taken from a check — messages, details, URLs, token endpoints — ever
// becomes a label or a value, so no secret can reach a scrape.
package metrics

import (
	"net/http"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcpwatch/mcpwatch/probe"
)

// Source is what metrics reads from: *probe.Pool satisfies it.
type Source interface {
	Snapshot() *probe.Snapshot
	TokenRequests() map[string]int64
	Observe(func(probe.Result))
}

var _ Source = (*probe.Pool)(nil)

// Metrics is one pool's metrics: its families, and a registry of the rest
// (instance and build info, the Go runtime, the process, the handler's own).
type Metrics struct {
	reg  *prometheus.Registry
	pool *prometheus.Registry // the pool's collector, for formats other than text
	c    *poolCollector
}

// New registers the pool's metrics, the Go runtime and process collectors and
// mcpwatch_build_info on a registry of their own (never the global default).
//
// New calls src.Observe, so it must be called before the pool's Run or
// Sweep: checks finished earlier are not counted. The pool keeps a single
// observer, so nothing else may call Observe afterwards.
func New(src Source) *Metrics { return NewInstance(src, Instance{}) }

// Handler serves GET /metrics (Prometheus text or protobuf, as negotiated)
// and GET /healthz, which answers 200 "ok" for as long as it is served:
// run Serve on the same context as the pool's Run, and both end together.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	gathered := promhttp.HandlerFor(prometheus.Gatherers{m.reg, m.pool}, promhttp.HandlerOpts{Registry: m.reg})
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(m.reg, &textHandler{m: m, gathered: gathered}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// releaseVersion and releaseRevision are set by release builds
// (.goreleaser.yaml, -X github.com/mcpwatch/mcpwatch/metrics.releaseVersion=…),
// which build from a checkout: no module version, and no VCS stamp when
// GOFLAGS has -buildvcs=false.
var releaseVersion, releaseRevision string

// buildInfo is mcpwatch_build_info: constant 1, the build in its labels.
func buildInfo() prometheus.Collector {
	version, revision := "dev", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	if releaseVersion != "" {
		version = releaseVersion
	}
	if releaseRevision != "" {
		revision = releaseRevision
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "mcpwatch_build_info",
		Help:        "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}
