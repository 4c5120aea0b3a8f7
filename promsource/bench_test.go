package promsource

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkRead10kServers2Vantages is one read of 10,000 servers seen from
// two vantage points (20,000 status series, and as many last-check and
// latency series) from a fake Prometheus on loopback: decode, fold, rows.
// Its allocations say what a refresh costs the dashboard.
func BenchmarkRead10kServers2Vantages(b *testing.B) {
	bodies := map[string][]byte{}
	vec := func(metric string, value func(i int) string, extra string) []byte {
		var sb strings.Builder
		sb.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
		for i := range 10000 {
			for j, v := range []string{"eu-west", "us-east"} {
				if i+j > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"metric":{"__name__":%q,"instance":"%s-1:9855","job":"mcpwatch","server":"mcp-%05d.example","vantage":%q%s},"value":[1764575000,%q]}`,
					metric, v, i, v, extra, value(i))
			}
		}
		sb.WriteString("]}}")
		return []byte(sb.String())
	}
	bodies["mcpwatch_server_status"] = vec("mcpwatch_server_status", func(int) string { return "1" }, `,"status":"healthy"`)
	bodies["mcpwatch_last_check_timestamp_seconds"] = vec("mcpwatch_last_check_timestamp_seconds", func(i int) string { return fmt.Sprint(1764574970 + i%30) }, "")
	bodies["sum without"] = vec("", func(int) string { return "0.042" }, "")
	empty := []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.PostForm.Get("query")
		for prefix, body := range bodies {
			if strings.HasPrefix(q, prefix) {
				_, _ = w.Write(body)
				return
			}
		}
		_, _ = w.Write(empty)
	}))
	defer ts.Close()
	s, err := New(Options{URL: ts.URL, Refresh: time.Second, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if snap := refresh(s); len(snap.Servers) != 10000 || snap.Notice != "" {
			b.Fatalf("%d servers, notice %q", len(snap.Servers), snap.Notice)
		}
	}
	b.ReportMetric(float64(len(bodies["mcpwatch_server_status"]))/1e6, "MB/status-answer")
}
