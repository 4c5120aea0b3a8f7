package metrics

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestTextMatchesGather: the text exposition written straight from the pool
// (text.go) is byte for byte what Gather and expfmt made of const metrics,
// with and without a vantage label, scrape after scrape; and the Gather path
// (protobuf) carries the vantage as a wrapping registerer did.
func TestTextMatchesGather(t *testing.T) {
	for _, vantage := range []string{"", "eu-west"} {
		c := seriesFixture("")
		// Enough series that a family is written in several pieces.
		src := c.src.(*fakeSource)
		for i := range 300 {
			name := fmt.Sprintf("bulk-%03d", i)
			src.servers = append(src.servers, state(name, probe.StatusHealthy))
			src.observer(result(name, probe.StatusHealthy, probe.StageTiming{Stage: probe.StageConnect, Duration: time.Duration(i) * time.Millisecond}))
		}
		var wrap prometheus.Labels // the vantage as --vantage added it before
		if vantage != "" {
			wrap = prometheus.Labels{"vantage": vantage}
		}
		want := gatherText(t, prometheus.NewPedanticRegistry(), constCollector{c}, wrap)
		c.vantage = vantage
		for range 2 {
			var buf bytes.Buffer
			if err := c.writeText(&buf, nil, expfmt.NewFormat(expfmt.TypeTextPlain)); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != want {
				t.Fatalf("vantage %q: text exposition differs from Gather's\n got:\n%s\nwant:\n%s", vantage, got, want)
			}
			if got := gatherText(t, prometheus.NewRegistry(), c, nil); got != want {
				t.Fatalf("vantage %q: gathered exposition differs\n got:\n%s\nwant:\n%s", vantage, got, want)
			}
		}
		if vantage != "" && !strings.Contains(want, `mcpwatch_server_up{server="warned",vantage="eu-west"} 1`) {
			t.Fatalf("the fixture lacks a vantage label:\n%s", want)
		}
	}
}

// TestHandlerFormats: a scrape in text (plain or gzip) and in protobuf
// carries the same mcpwatch_ families, in the registry's order (by name, the
// process and Go families among them), and ?name[] still filters.
func TestHandlerFormats(t *testing.T) {
	c := seriesFixture("")
	h := NewInstance(c.src, Instance{Shard: "1/2", Vantage: "eu-west"}).Handler()
	get := func(accept, encoding, query string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics"+query, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", accept, encoding, rec.Code, rec.Body)
		}
		return rec
	}
	ours := func(fams []*dto.MetricFamily) string {
		var buf bytes.Buffer
		for _, f := range fams {
			if strings.HasPrefix(f.GetName(), "mcpwatch_") {
				_, _ = expfmt.MetricFamilyToText(&buf, f)
			}
		}
		return buf.String()
	}
	plain := get("", "", "")
	if ct := plain.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	textFams := parseText(t, plain.Body.String())
	var names []string
	for _, f := range textFams {
		names = append(names, f.GetName())
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "go_goroutines") || !slices.Contains(names, "mcpwatch_instance_info") {
		t.Errorf("families out of order or missing: %v", names)
	}
	want := ours(textFams)

	zipped := get("", "gzip", "")
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", zipped.Header())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if got := ours(parseText(t, string(body))); got != want {
		t.Errorf("gzip scrape differs:\n%s\nwant:\n%s", got, want)
	}

	pb := get("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "", "")
	var pbFams []*dto.MetricFamily
	dec := expfmt.NewDecoder(pb.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
	for {
		f := &dto.MetricFamily{}
		if err := dec.Decode(f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pbFams = append(pbFams, f)
	}
	if got := ours(pbFams); got != want {
		t.Errorf("protobuf scrape differs:\n%s\nwant:\n%s", got, want)
	}

	only := parseText(t, get("", "", "?name[]=mcpwatch_server_up").Body.String())
	if len(only) != 1 || only[0].GetName() != "mcpwatch_server_up" || ours(only) != ours([]*dto.MetricFamily{find(textFams, "mcpwatch_server_up")}) {
		t.Errorf("name[] filter: %v", only)
	}
}

// parseText parses a text exposition, keeping the order of its families.
func parseText(t *testing.T, body string) []*dto.MetricFamily {
	t.Helper()
	byName := families(t, body)
	var out []*dto.MetricFamily
	for line := range strings.SplitSeq(body, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, _, _ = strings.Cut(name, " ")
			out = append(out, byName[name])
		}
	}
	return out
}

func find(fams []*dto.MetricFamily, name string) *dto.MetricFamily {
	for _, f := range fams {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}
