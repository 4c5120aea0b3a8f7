package metrics

import (
	"fmt"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Instance says which part of a distributed fleet this process is.
type Instance struct {
	// Shard is "K/N" when the fleet is split between N instances, else "".
	Shard string
	// Vantage names where this instance checks from (eu-west …). When set,
	// every mcpwatch_* series except mcpwatch_build_info carries it as a
	// `vantage` label; when empty no series has the label, so rules written
	// for one instance keep matching exactly as before.
	Vantage string
}

// vantageRE bounds a vantage name: it becomes a label value on every series
// and a column on the joined dashboard, so it is short and plain.
var vantageRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

// CheckVantage says what is wrong with a --vantage name, or nil.
func CheckVantage(v string) error {
	if v == "" || vantageRE.MatchString(v) {
		return nil
	}
	return fmt.Errorf("--vantage %q: use 1 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. eu-west)", v)
}

// NewInstance is New for one instance of several: its pool's series carry
// in.Vantage, and mcpwatch_instance_info names the shard and vantage.
func NewInstance(src Source, in Instance) *Metrics {
	c := newPoolCollector(src, in.Vantage)
	src.Observe(c.observe)
	pool := prometheus.NewRegistry() // the pool's families, for Gather (text.go writes them without)
	pool.MustRegister(c)
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		instanceInfo(in),
		buildInfo(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return &Metrics{reg: reg, pool: pool, c: c}
}

// instanceInfo is mcpwatch_instance_info: constant 1, with the shard
// ("" when not sharded) and the vantage, when there is one.
func instanceInfo(in Instance) prometheus.Collector {
	labels := prometheus.Labels{"shard": in.Shard}
	if in.Vantage != "" {
		labels["vantage"] = in.Vantage
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "mcpwatch_instance_info",
		Help:        "Always 1; shard is K/N when the fleet is split between instances (else empty), vantage where it checks from.",
		ConstLabels: labels,
	})
	g.Set(1)
	return g
}
