package metrics

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// A text scrape (what Prometheus asks for) is written family by family,
// straight from the pool: a build keeps one family's series as small
// records, sorts them as Gather would, and writes them in batches through
// expfmt's own text writer, so the exposition is byte for byte Gather's
// (TestTextMatchesGather). At 10,000 servers Gather and its encoder held
// every series as protobuf values at once: 142 MB a scrape.

// descMeta is what the text exposition needs of a pool desc.
type descMeta struct {
	name, help string
	nvars      int // variable labels
}

// descInfo holds every desc newDesc made: the pool's families.
var descInfo = map[*prometheus.Desc]descMeta{}

// newDesc makes a pool family's desc and records its name and help.
func newDesc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc(name, help, labels, nil)
	descInfo[d] = descMeta{name: name, help: help, nvars: len(labels)}
	return d
}

// poolDescs are the pool's families in the order Gather sorts them: by name.
var poolDescs = func() []*prometheus.Desc {
	var out []*prometheus.Desc
	for d := range descInfo {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *prometheus.Desc) int { return strings.Compare(descInfo[a].name, descInfo[b].name) })
	return out
}()

// rec is one series of the family being written.
type rec struct {
	vals [3]string // variable label values, in the desc's order
	v    float64   // the value; a histogram's sum
	hist int       // a histogram's counts start at build.hcounts[hist]; else -1
}

func newRec(v float64, hist int, values []string) rec {
	r := rec{v: v, hist: hist}
	copy(r.vals[:], values)
	return r
}

// writeText writes the text exposition of the pool's families and of
// others (already gathered, sorted by name), merged in name order.
func (c *poolCollector) writeText(w io.Writer, others []*dto.MetricFamily, format expfmt.Format) error {
	in := c.read()
	enc := expfmt.NewEncoder(w, format)
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	c.shared.prune(len(in.servers), c.vantage)
	// The largest families have 6 series a server (status, warning), the
	// histograms 5 (stages): room for them once, reused family by family.
	b := build{recs: make([]rec, 0, 6*len(in.servers)+8), hcounts: make([]uint64, 0, 5*len(in.servers)*(len(bucketBounds)+1))}
	tw := &textWriter{w: w}
	for _, d := range poolDescs {
		name := descInfo[d].name
		for len(others) > 0 && others[0].GetName() < name {
			if err := enc.Encode(others[0]); err != nil {
				return err
			}
			others = others[1:]
		}
		b = build{sh: &c.shared, only: d, recs: b.recs[:0], hcounts: b.hcounts[:0]}
		c.fill(&b, in)
		if err := tw.family(d, &b); err != nil {
			return err
		}
	}
	for _, f := range others {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// textWriter writes a family's series line by line, as expfmt's
// MetricFamilyToText does (the same escaping and number formatting), but
// without a name-and-suffix string per histogram line.
type textWriter struct {
	w      io.Writer
	line   []byte
	labels []byte // the current series' labels, escaped, without braces
}

// family writes b's records of desc d, sorted as Gather sorts a family's
// series (by label values, labels in name order); none, nothing.
func (tw *textWriter) family(d *prometheus.Desc, b *build) error {
	if len(b.recs) == 0 {
		return nil // Gather drops an empty family
	}
	meta := descInfo[d]
	l := b.sh.layout(d, meta.nvars)
	var order []int // variable labels in name order
	for _, i := range l.vars {
		if i >= 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(b.recs, func(x, y rec) int {
		for _, i := range order {
			if c := strings.Compare(x.vals[i], y.vals[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	typ := "gauge"
	switch b.typ {
	case dto.MetricType_COUNTER:
		typ = "counter"
	case dto.MetricType_HISTOGRAM:
		typ = "histogram"
	}
	tw.line = append(tw.line[:0], "# HELP "...)
	tw.line = append(tw.line, meta.name...)
	tw.line = append(tw.line, ' ')
	tw.line = appendEscaped(tw.line, meta.help, false)
	tw.line = append(tw.line, "\n# TYPE "...)
	tw.line = append(tw.line, meta.name...)
	tw.line = append(tw.line, ' ')
	tw.line = append(tw.line, typ...)
	tw.line = append(tw.line, '\n')
	for k := range b.recs {
		r := &b.recs[k]
		tw.labels = tw.labels[:0]
		for j, p := range l.pairs {
			v := p.GetValue()
			if i := l.vars[j]; i >= 0 {
				v = r.vals[i]
			}
			if j > 0 {
				tw.labels = append(tw.labels, ',')
			}
			tw.labels = append(tw.labels, l.names[j]...)
			tw.labels = append(tw.labels, `="`...)
			tw.labels = appendEscaped(tw.labels, v, true)
			tw.labels = append(tw.labels, '"')
		}
		if b.typ != dto.MetricType_HISTOGRAM {
			tw.sample(meta.name, "", -1, r.v)
		} else {
			counts := b.hcounts[r.hist : r.hist+1+len(bucketBounds)]
			for j := range bucketBounds {
				tw.sample(meta.name, "_bucket", j, float64(counts[1+j]))
			}
			tw.sample(meta.name, "_bucket", len(bucketBounds), float64(counts[0])) // +Inf
			tw.sample(meta.name, "_sum", -1, r.v)
			tw.sample(meta.name, "_count", -1, float64(counts[0]))
		}
		if len(tw.line) >= 32<<10 {
			if _, err := tw.w.Write(tw.line); err != nil {
				return err
			}
			tw.line = tw.line[:0]
		}
	}
	_, err := tw.w.Write(tw.line)
	tw.line = tw.line[:0]
	return err
}

// sample appends one line: name and suffix, the series' labels and, for
// le >= 0, the bucket bound le (len(bucketBounds): +Inf), then v.
func (tw *textWriter) sample(name, suffix string, le int, v float64) {
	tw.line = append(tw.line, name...)
	tw.line = append(tw.line, suffix...)
	if len(tw.labels) > 0 || le >= 0 {
		tw.line = append(tw.line, '{')
		tw.line = append(tw.line, tw.labels...)
		if le >= 0 {
			if len(tw.labels) > 0 {
				tw.line = append(tw.line, ',')
			}
			tw.line = append(tw.line, `le="`...)
			bound := math.Inf(1)
			if le < len(bucketBounds) {
				bound = bucketBounds[le]
			}
			tw.line = appendFloat(tw.line, bound)
			tw.line = append(tw.line, '"')
		}
		tw.line = append(tw.line, '}')
	}
	tw.line = append(tw.line, ' ')
	tw.line = appendFloat(tw.line, v)
	tw.line = append(tw.line, '\n')
}

// appendFloat formats f as expfmt does: the shortest 'g' form, 0 for -0.
func appendFloat(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendEscaped escapes as expfmt: backslash and newline, and in label
// values the double quote.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// textHandler serves GET /metrics: the text format itself, anything else
// (protobuf, a ?name[] filter) through promhttp and Gather.
type textHandler struct {
	m        *Metrics
	gathered http.Handler
}

func (h *textHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	if format.FormatType() != expfmt.TypeTextPlain || r.URL.Query().Has("name[]") {
		h.gathered.ServeHTTP(w, r)
		return
	}
	others, err := h.m.reg.Gather()
	if err != nil {
		h.gathered.ServeHTTP(w, r) // it reports the error, as before
		return
	}
	// The headers promhttp sets, and its compression (identity or gzip).
	w.Header().Add("Vary", "Accept")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", string(format))
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	bw := bufio.NewWriterSize(out, 32<<10)
	if err := h.m.c.writeText(bw, others, format); err != nil {
		return // the client went away; as promhttp, stop sending
	}
	_ = bw.Flush()
}

// acceptsGzip is promhttp's choice between identity and gzip: gzip when
// Accept-Encoding names it (or *) with a higher weight than identity.
func acceptsGzip(header string) bool {
	best, bestQ := "identity", -1.0
	for _, offer := range []string{"identity", "gzip"} {
		for spec := range strings.SplitSeq(header, ",") {
			value, params, _ := strings.Cut(strings.TrimSpace(spec), ";")
			q := 1.0
			if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
			value = strings.ToLower(strings.TrimSpace(value))
			if q > 0 && q > bestQ && (value == "*" || value == offer) {
				best, bestQ = offer, q
			}
		}
	}
	return best == "gzip"
}
