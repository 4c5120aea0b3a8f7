package metrics

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// Real peers, as in probe's tests: mcp-go servers behind httptest and a real
// RFC 6749 token endpoint from authserver.

const (
	testClient = "mcpwatch-metrics-test"
	testSecret = "s3cr3t-Metrics-Client-4a7b1c"
)

func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func mcpHandler(name string) http.Handler {
	return server.NewStreamableHTTPServer(server.NewMCPServer(name, "1.0.0"))
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/mcp"
}

// tokenServer is a token endpoint that knows testClient/testSecret.
type tokenServer struct {
	as  *authserver.Server
	url string
}

func newTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	as := authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour})
	ts := serve(t, as)
	as.SetIssuer(ts.URL)
	return &tokenServer{as: as, url: ts.URL}
}

// protected serves an MCP server that wants a token from ts, and records the
// bearer tokens it was shown (so a test can look for them in a scrape).
func (ts *tokenServer) protected(t *testing.T, name string, seen *tokensSeen) string {
	t.Helper()
	inner := ts.as.Protect(mcpHandler(name), authserver.Protection{})
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen.add(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}
		inner.ServeHTTP(w, r)
	})).URL + "/mcp"
}

type tokensSeen struct {
	mu     sync.Mutex
	tokens map[string]bool
}

func (s *tokensSeen) add(tok string) {
	if tok == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = map[string]bool{}
	}
	s.tokens[tok] = true
}

func (s *tokensSeen) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for tok := range s.tokens {
		out = append(out, tok)
	}
	return out
}

// srv is a config entry with test-sized timings.
func srv(name, url string) config.Server {
	return config.Server{Name: name, URL: url, Transport: config.TransportHTTP,
		Interval: time.Hour, Timeout: 3 * time.Second, Slow: 3 * time.Second, Auth: config.Auth{Type: config.AuthNone}}
}

func oauthSrv(name, url, tokenURL, secretEnv string) config.Server {
	s := srv(name, url)
	s.Auth = config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: testClient,
		ClientSecret: config.Secret{Env: secretEnv}, TokenURL: tokenURL}
	return s
}

func newPool(servers ...config.Server) *probe.Pool {
	return probe.NewPool(&config.File{Path: "test", Concurrency: 8, PerHost: 8, Servers: servers}, probe.NewChecker("test"))
}

// scrape GETs /metrics from h and returns the body.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// families parses a text exposition.
func families(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("scrape does not parse: %v\n%s", err, body)
	}
	return fams
}

// series returns the metrics of family name whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		if hasLabels(m, want) {
			out = append(out, m)
		}
	}
	return out
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// one returns the single series of name with labels want, failing otherwise.
func one(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	ms := series(fams, name, want)
	if len(ms) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(ms))
	}
	return ms[0]
}

// value is a gauge's or counter's value.
func value(m *dto.Metric) float64 {
	if m.GetGauge() != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// sweep runs one pool sweep under a deadline.
func sweep(t *testing.T, p *probe.Pool, names ...string) []probe.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.Sweep(ctx, names...)
}
