package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// BenchmarkScrape is one GET /metrics over 10,000 servers that have each
// been checked once (issue 12: a scrape at fleet scale must not set serve's
// peak memory). "steady" scrapes with nothing new since the last scrape;
// "one-result" has one server's check arrive between scrapes; "vantage" is
// steady with --vantage.
func BenchmarkScrape(b *testing.B) {
	const n = 10_000
	now := time.Now()
	servers := make([]probe.ServerState, n)
	for i := range servers {
		name := fmt.Sprintf("s%05d", i)
		servers[i] = probe.ServerState{Name: name, Checks: 1,
			Last:  &probe.Result{Server: name, Status: probe.StatusHealthy, Started: now},
			Token: &probe.TokenInfo{Expiry: now.Add(time.Hour)}}
	}
	stages := []probe.StageTiming{{Stage: probe.StageToken, Duration: time.Millisecond, OK: true},
		{Stage: probe.StageConnect, Duration: time.Millisecond, OK: true},
		{Stage: probe.StageHandshake, Duration: 3 * time.Millisecond, OK: true},
		{Stage: probe.StageLiveness, Duration: 2 * time.Millisecond, OK: true}}
	for _, name := range []string{"steady", "one-result", "vantage"} {
		b.Run(name+"/servers=10000", func(b *testing.B) {
			src := &fakeSource{}
			src.set(servers...)
			var in Instance
			if name == "vantage" {
				in.Vantage = "eu-west"
			}
			h := NewInstance(src, in).Handler()
			for i := range servers {
				src.observer(result(servers[i].Name, probe.StatusHealthy, stages...))
			}
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			scrape := func() {
				w := httptest.NewRecorder()
				w.Body = nil // the exposition is not kept
				h.ServeHTTP(discard{w}, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
			scrape()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if name == "one-result" {
					src.observer(result(servers[i%n].Name, probe.StatusHealthy, stages...))
					i++
				}
				scrape()
			}
		})
	}
}

// discard is a ResponseWriter that drops the body but keeps the status.
type discard struct{ *httptest.ResponseRecorder }

func (d discard) Write(p []byte) (int, error) { return io.Discard.Write(p) }
