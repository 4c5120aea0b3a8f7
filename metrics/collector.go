package metrics

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcpwatch/mcpwatch/probe"
)

// StageBuckets are the bounds (seconds) of mcpwatch_probe_stage_duration_seconds:
// from a loopback connect (a few ms) through a slow TLS handshake across the
// world (hundreds of ms) to a stage that ran into a long configured timeout.
var StageBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// stages is the fixed stage label set; a result naming any other stage is not
// observed, so a label value never comes from anywhere but this list.
var stages = [...]probe.Stage{probe.StageConfig, probe.StageToken, probe.StageConnect, probe.StageHandshake, probe.StageLiveness}

// tokenResults is the fixed result label set of mcpwatch_token_requests_total.
var tokenResults = []string{"ok", "error"}

// checkStatuses are the statuses a check can find: the status label set of
// mcpwatch_checks_total. skipped is the verdict of deciding not to check,
// and unknown means not checked yet; neither is ever the outcome of a check.
var checkStatuses = [...]probe.Status{probe.StatusAuthError, probe.StatusUnhealthy, probe.StatusDegraded, probe.StatusHealthy}

// skipClasses is the class label set of mcpwatch_server_skipped: why the
// probe decided not to check a server (probe/prepare.go). A class outside
// it is not exported (TestLabelSetsMatchProbe keeps the two in step).
var skipClasses = []string{"skip.disabled", "skip.user_login", "skip.secret", "skip.stdio"}

// warningClasses is the class label set of mcpwatch_server_warning.
var warningClasses = []string{probe.WarnTokenRefresh, probe.WarnFlapping,
	probe.WarnTLSExpiring, probe.WarnTLSInsecure, // certificates (probe/tls.go)
	probe.WarnInventoryChanged, probe.WarnInventoryFailed, // inventory (probe/inventory_pool.go)
}

var (
	descUp = newDesc("mcpwatch_server_up",
		"1 when the last check found the server healthy or degraded, 0 when unhealthy or auth_error; absent while skipped or unknown.",
		"server")
	descSkipped = newDesc("mcpwatch_server_skipped",
		"1 while the server is deliberately not checked, with the reason's class (skip.secret: a secret it needs is not set); absent otherwise.",
		"server", "class")
	descWarning = newDesc("mcpwatch_server_warning",
		"1 while the server has a warning of the class (token.refresh_failing, flapping, inventory.changed, inventory.failed), else 0; a server can be healthy and warn.",
		"server", "class")
	descStatus = newDesc("mcpwatch_server_status",
		"Status of the server's last check as a state set: 1 for the current status, 0 for the other five.",
		"server", "status")
	descLastCheck = newDesc("mcpwatch_last_check_timestamp_seconds",
		"Unix time the server's last completed check started; absent until one has completed, and while skipped.",
		"server")
	descTokenExpiry = newDesc("mcpwatch_token_expiry_timestamp_seconds",
		"Unix time the server's OAuth2 client-credentials token expires (live: follows refreshes between checks); absent without a token.",
		"server")
	descCertExpiry = newDesc("mcpwatch_tls_cert_expiry_timestamp_seconds",
		"Unix time the first certificate of the chain the server (endpoint=\"server\") or its OAuth2 token endpoint (endpoint=\"token\") presented expires, as the last handshake saw it; absent for plain http and before a handshake.",
		"server", "endpoint")
	descStageDuration = newDesc("mcpwatch_probe_stage_duration_seconds",
		"Duration of each stage of each completed check, failed attempts included.",
		"server", "stage")
	descChecks = newDesc("mcpwatch_checks_total",
		"Completed checks by the status they found; a skipped server is not checked, so it is not counted.",
		"server", "status")
	descReloadOK = newDesc("mcpwatch_config_last_reload_successful",
		"0 while the newest config file could not be applied (the last good one stays in force), else 1.")
	descTokenRequests = newDesc("mcpwatch_token_requests_total",
		"Token requests sent to OAuth2 token endpoints by the whole pool, by result.",
		"result")
)

// poolCollector reads per-server gauges from a fresh snapshot at each scrape
// and keeps the per-check counters and histograms fed by Observe. Those are
// emitted only for servers in that snapshot, and forgotten once a server has
// left the config.
type poolCollector struct {
	src     Source
	vantage string // a label on every series, when set

	mu      sync.Mutex
	servers map[string]*observed

	// buildMu lets one scrape build at a time and guards shared; checks
	// finishing meanwhile wait on mu only while the counters are read.
	buildMu sync.Mutex
	shared  shared // what scrapes share (series.go)
}

// observed is what Observe has counted for one server. Arrays, not
// slices: at 10,000 servers the collector keeps 50,000 of these values.
type observed struct {
	checks [len(checkStatuses)]uint64
	stages [len(stages)]*hist // nil until that stage has run
}

func newObserved() *observed { return &observed{} }

// hist is one classic histogram: per-bucket (not cumulative) counts, the
// last one being +Inf. A bucket's count is a uint32: a check a second
// fills it in 136 years.
type hist struct {
	counts [nBuckets + 1]uint32
	count  uint64
	sum    float64
}

func newPoolCollector(src Source, vantage string) *poolCollector {
	return &poolCollector{src: src, vantage: vantage, servers: map[string]*observed{}}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descStatus, descSkipped, descWarning, descLastCheck, descTokenExpiry, descCertExpiry, descStageDuration, descChecks, descReloadOK, descTokenRequests,
		descInventoryItems, descFailure, descSince} {
		ch <- d
	}
}

// observe counts one completed check. The pool calls it from the check's own
// goroutine, so it only takes the collector's lock, briefly.
func (c *poolCollector) observe(res probe.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.servers[res.Server]
	if o == nil {
		o = newObserved()
		c.servers[res.Server] = o
	}
	// A skip result is the pool deciding, again at every interval, not to
	// check: counting it would make a disabled server look busy.
	if i := slices.Index(checkStatuses[:], res.Status); i >= 0 {
		o.checks[i]++
	}
	for _, st := range res.Stages {
		i := slices.Index(stages[:], st.Stage)
		if i < 0 {
			continue
		}
		h := o.stages[i]
		if h == nil {
			h = &hist{}
			o.stages[i] = h
		}
		v := st.Duration.Seconds()
		h.counts[sort.SearchFloat64s(bucketBounds[:], v)]++ // first bucket whose bound is >= v
		h.count++
		h.sum += v
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.build(false) {
		ch <- m
	}
}

// build makes every series of a scrape (series.go says how), for Gather.
func (c *poolCollector) build(consts bool) []prometheus.Metric {
	in := c.read()
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	c.shared.prune(len(in.servers), c.vantage)
	b := &build{sh: &c.shared, consts: consts, out: make([]prometheus.Metric, 0, 25*len(in.servers)+8)}
	c.fill(b, in)
	return b.out
}

// scrapeInput is what one scrape reads from the source.
type scrapeInput struct {
	servers  []*probe.ServerState
	reloadOK float64
	tokens   map[string]int64
}

func (c *poolCollector) read() scrapeInput {
	snap := c.src.Snapshot()
	in := scrapeInput{servers: uniqueServers(snap), reloadOK: 1, tokens: c.src.TokenRequests()}
	if snap.ConfigError != "" {
		in.reloadOK = 0 // the reason stays out: free text, and the dashboard shows it
	}
	return in
}

// fill adds the series of in that b wants: all of them, or one family's.
func (c *poolCollector) fill(b *build, in scrapeInput) {
	if b.wants(descReloadOK) {
		b.metric(descReloadOK, prometheus.GaugeValue, in.reloadOK)
	}
	for _, st := range in.servers {
		appendStateMetrics(b, st)
		appendInventoryMetrics(b, st)
		appendFailureMetrics(b, st) // failure.go
	}
	if b.wants(descChecks) || b.wants(descStageDuration) {
		c.appendObserved(b, in.servers)
	}
	if b.wants(descTokenRequests) {
		for _, r := range tokenResults {
			b.metric(descTokenRequests, prometheus.CounterValue, float64(in.tokens[r]), r)
		}
	}
}

// appendStateMetrics adds the gauges that describe a server as it is now.
func appendStateMetrics(b *build, st *probe.ServerState) {
	status := st.Last.Status
	switch status {
	case probe.StatusHealthy, probe.StatusDegraded:
		b.metric(descUp, prometheus.GaugeValue, 1, st.Name)
	case probe.StatusUnhealthy, probe.StatusAuthError:
		b.metric(descUp, prometheus.GaugeValue, 0, st.Name)
	}
	for _, s := range probe.Statuses {
		v := 0.0
		if s == status {
			v = 1
		}
		b.metric(descStatus, prometheus.GaugeValue, v, st.Name, string(s))
	}
	if status == probe.StatusSkipped && slices.Contains(skipClasses, st.Last.Class) {
		b.metric(descSkipped, prometheus.GaugeValue, 1, st.Name, st.Last.Class)
	}
	for _, class := range warningClasses {
		v := 0.0
		if slices.ContainsFunc(st.Warnings, func(w probe.Warning) bool { return w.Class == class }) {
			v = 1
		}
		b.metric(descWarning, prometheus.GaugeValue, v, st.Name, class)
	}
	// A skip is not a check: a skipped server has no last check time (the
	// probe re-decides every interval, which would look like fresh checks).
	if st.Checks > 0 && !st.Last.Started.IsZero() && status != probe.StatusSkipped {
		b.metric(descLastCheck, prometheus.GaugeValue, unixSeconds(st.Last.Started), st.Name)
	}
	if st.Token != nil && !st.Token.Expiry.IsZero() {
		b.metric(descTokenExpiry, prometheus.GaugeValue, unixSeconds(st.Token.Expiry), st.Name)
	}
	appendCertExpiry(b, st)
}

// uniqueServers drops all but the first of servers sharing a name. Config
// files cannot hold such twins, but a programmatic config could, and one
// duplicate series would make the registry fail the whole scrape.
func uniqueServers(snap *probe.Snapshot) []*probe.ServerState {
	seen := make(map[string]bool, len(snap.Servers))
	out := make([]*probe.ServerState, 0, len(snap.Servers))
	for i := range snap.Servers {
		if st := snap.Servers[i]; !seen[st.Name] {
			seen[st.Name] = true
			out = append(out, st)
		}
	}
	return out
}

// appendObserved adds the counters and histograms of servers and forgets
// servers no longer among them (removed by a config reload).
func (c *poolCollector) appendObserved(b *build, servers []*probe.ServerState) {
	present := make(map[string]bool, len(servers))
	for _, st := range servers {
		present[st.Name] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.servers {
		if !present[name] {
			delete(c.servers, name)
		}
	}
	zero := newObserved() // for a server not checked yet: zeros, so rate() has a start point from the first scrape
	for _, st := range servers {
		o := c.servers[st.Name]
		if o == nil {
			o = zero
		}
		for i, s := range checkStatuses {
			b.metric(descChecks, prometheus.CounterValue, float64(o.checks[i]), st.Name, string(s))
		}
		for i, h := range o.stages {
			if h == nil {
				continue // a stage this server never ran (token without OAuth2, config when never skipped)
			}
			b.histogram(descStageDuration, h, st.Name, string(stages[i]))
		}
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// appendCertExpiry adds the certificate expiry of the server and of its token endpoint.
func appendCertExpiry(b *build, st *probe.ServerState) {
	if c := st.Last.TLS; c != nil && !c.NotAfter.IsZero() {
		b.metric(descCertExpiry, prometheus.GaugeValue, unixSeconds(c.NotAfter), st.Name, "server")
	}
	if st.Token != nil && st.Token.TLS != nil && !st.Token.TLS.NotAfter.IsZero() {
		b.metric(descCertExpiry, prometheus.GaugeValue, unixSeconds(st.Token.TLS.NotAfter), st.Name, "token")
	}
}
