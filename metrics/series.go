package metrics

import (
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// A scrape at 10,000 servers collects about 250,000 series. Made as
// prometheus const metrics, each was half a dozen small allocations (label
// pairs, value, for a histogram a bucket map and a bucket per bound): over
// 280 MB a scrape, which set serve's peak memory. A build instead writes the
// protobuf values Gather reads straight into a few large chunks, shares
// label pairs and histogram buckets (immutable once made) between series and
// scrapes, and its series' Write only hands them out. The exposition is the
// same (TestBuildMatchesConstMetrics).

// arenaChunk is how many values of one kind a chunk holds.
const arenaChunk = 4096

// arena hands out values from large chunks; a chunk is freed when nothing
// refers into it any more, after the scrape.
type arena[T any] struct{ buf []T }

func (a *arena[T]) take(n int) []T {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]T, 0, max(arenaChunk, n))
	}
	i := len(a.buf)
	a.buf = a.buf[:i+n]
	return a.buf[i : i+n : i+n]
}

// built is one series, written in full before Gather sees it.
type built struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	gauge   *dto.Gauge
	counter *dto.Counter
	hist    *dto.Histogram
}

func (b *built) Desc() *prometheus.Desc { return b.desc }

func (b *built) Write(out *dto.Metric) error {
	out.Label, out.Gauge, out.Counter, out.Histogram = b.labels, b.gauge, b.counter, b.hist
	return nil
}

// shared is what builds share across scrapes: label pairs, each desc's
// label layout, and histogram buckets. Guarded by poolCollector.buildMu.
type shared struct {
	vantage string // the collector's: a const label pair in every layout
	pairs   map[[2]string]*dto.LabelPair
	layouts map[*prometheus.Desc]layout
	buckets map[bucketKey]*dto.Bucket
}

// layout is where a desc's label values go among its sorted label pairs:
// vars[i] is the variable label at position i, or -1 for a const pair.
type layout struct {
	pairs []*dto.LabelPair
	vars  []int
	names []string
}

type bucketKey struct {
	bound int
	count uint64
}

// bucketLimit bounds the shared buckets: one per bound and cumulative count
// seen, so they grow with the counts. Past it they start afresh (a scrape
// then makes each bucket it needs again, as const histograms did).
const bucketLimit = 100_000

// prune drops what no scrape of servers needs any more: label pairs of
// servers renamed or removed (past twice what the fleet needs), and the
// buckets past bucketLimit. vantage is the collector's.
func (s *shared) prune(servers int, vantage string) {
	if s.pairs == nil || len(s.pairs) > 2*servers+1000 || s.vantage != vantage {
		s.vantage = vantage
		s.pairs = map[[2]string]*dto.LabelPair{}
		s.layouts = map[*prometheus.Desc]layout{}
	}
	if s.buckets == nil || len(s.buckets) > bucketLimit {
		s.buckets = map[bucketKey]*dto.Bucket{}
	}
}

func (s *shared) layout(desc *prometheus.Desc, nvars int) layout {
	if l, ok := s.layouts[desc]; ok {
		return l
	}
	marks := make([]string, nvars)
	for i := range marks {
		marks[i] = "\xff" + strconv.Itoa(i)
	}
	pairs := prometheus.MakeLabelPairs(desc, marks) // sorted by name, const labels included
	if s.vantage != "" {
		// As prometheus.WrapRegistererWith added it, without wrapping
		// every series (which doubled a scrape's time and memory).
		n, v := "vantage", s.vantage
		at, _ := slices.BinarySearchFunc(pairs, n, func(p *dto.LabelPair, n string) int { return strings.Compare(p.GetName(), n) })
		pairs = slices.Insert(pairs, at, &dto.LabelPair{Name: &n, Value: &v})
	}
	l := layout{pairs: pairs, vars: make([]int, len(pairs)), names: make([]string, len(pairs))}
	for j, p := range pairs {
		l.vars[j], l.names[j] = -1, p.GetName()
		if v, ok := strings.CutPrefix(p.GetValue(), "\xff"); ok {
			l.vars[j], _ = strconv.Atoi(v)
		}
	}
	s.layouts[desc] = l
	return l
}

func (s *shared) pair(name, value string) *dto.LabelPair {
	p := s.pairs[[2]string{name, value}]
	if p == nil {
		n, v := name, value // copies, so only a new pair costs an allocation
		p = &dto.LabelPair{Name: &n, Value: &v}
		s.pairs[[2]string{name, value}] = p
	}
	return p
}

func (s *shared) bucket(bound int, count uint64) *dto.Bucket {
	b := s.buckets[bucketKey{bound, count}]
	if b == nil {
		c := count
		b = &dto.Bucket{CumulativeCount: &c, UpperBound: &bucketBounds[bound]}
		s.buckets[bucketKey{bound, count}] = b
	}
	return b
}

// nBuckets is len(StageBuckets), for arrays.
const nBuckets = 12

// bucketBounds is StageBuckets as the shared buckets point into it (the
// conversion fails at start when nBuckets is not StageBuckets' length).
var bucketBounds = [nBuckets]float64(StageBuckets)

// build is one scrape's series.
type build struct {
	sh       *shared
	series   arena[built]
	labels   arena[*dto.LabelPair]
	gauges   arena[dto.Gauge]
	counters arena[dto.Counter]
	floats   arena[float64]
	uints    arena[uint64]
	hists    arena[dto.Histogram]
	bptrs    arena[*dto.Bucket]
	out      []prometheus.Metric
	// only, when set, makes the build keep only that family's series, as
	// records for the text exposition (text.go), not Metrics.
	only    *prometheus.Desc
	typ     dto.MetricType
	recs    []rec
	hcounts []uint64 // a histogram record's count, then cumulative bucket counts
	// consts makes prometheus const metrics instead, the way this package
	// did before builds: what TestBuildMatchesConstMetrics compares with.
	consts bool
}

func (b *build) next(desc *prometheus.Desc, values []string) *built {
	l := b.sh.layout(desc, len(values))
	m := &b.series.take(1)[0]
	m.desc = desc
	m.labels = b.labels.take(len(l.pairs))
	for j, p := range l.pairs {
		if i := l.vars[j]; i >= 0 {
			p = b.sh.pair(l.names[j], values[i])
		}
		m.labels[j] = p
	}
	b.out = append(b.out, m)
	return m
}

// wants says whether b keeps desc's series.
func (b *build) wants(desc *prometheus.Desc) bool { return b.only == nil || b.only == desc }

// metric adds a gauge or counter, as prometheus.MustNewConstMetric would.
func (b *build) metric(desc *prometheus.Desc, t prometheus.ValueType, v float64, values ...string) {
	if b.only != nil {
		if desc == b.only {
			b.typ = dto.MetricType_GAUGE
			if t == prometheus.CounterValue {
				b.typ = dto.MetricType_COUNTER
			}
			b.recs = append(b.recs, newRec(v, -1, values))
		}
		return
	}
	if b.consts {
		b.out = append(b.out, prometheus.MustNewConstMetric(desc, t, v, values...))
		return
	}
	m := b.next(desc, values)
	f := &b.floats.take(1)[0]
	*f = v
	if t == prometheus.CounterValue {
		m.counter = &b.counters.take(1)[0]
		m.counter.Value = f
		return
	}
	m.gauge = &b.gauges.take(1)[0]
	m.gauge.Value = f
}

// histogram adds h, as prometheus.MustNewConstHistogram would.
func (b *build) histogram(desc *prometheus.Desc, h *hist, values ...string) {
	if b.only != nil {
		if desc == b.only {
			b.typ = dto.MetricType_HISTOGRAM
			b.recs = append(b.recs, newRec(h.sum, len(b.hcounts), values))
			b.hcounts = append(b.hcounts, h.count)
			var cum uint64
			for j := range bucketBounds {
				cum += uint64(h.counts[j])
				b.hcounts = append(b.hcounts, cum)
			}
		}
		return
	}
	if b.consts {
		buckets := make(map[float64]uint64, len(StageBuckets))
		var cum uint64
		for j, bound := range StageBuckets {
			cum += uint64(h.counts[j])
			buckets[bound] = cum
		}
		b.out = append(b.out, prometheus.MustNewConstHistogram(desc, h.count, h.sum, buckets, values...))
		return
	}
	m := b.next(desc, values)
	m.hist = &b.hists.take(1)[0]
	n, sum := &b.uints.take(1)[0], &b.floats.take(1)[0]
	*n, *sum = h.count, h.sum
	m.hist.SampleCount, m.hist.SampleSum = n, sum
	m.hist.Bucket = b.bptrs.take(len(bucketBounds))
	var cum uint64
	for j := range bucketBounds {
		cum += uint64(h.counts[j])
		m.hist.Bucket[j] = b.sh.bucket(j, cum)
	}
}
