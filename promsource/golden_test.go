package promsource

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/tui"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGoldenDashboard pins the dashboard over Prometheus: the vantage split
// in the rows, the instances in the header; then, Prometheus gone, the
// notice with the age of the data kept.
func TestGoldenDashboard(t *testing.T) {
	f := &fakeProm{data: twoVantages()}
	s, err := New(Options{URL: "http://prometheus.test:9090", Selector: `{job="mcpwatch"}`, Refresh: time.Second,
		Timeout: 2 * time.Second, now: func() time.Time { return time.Unix(1764575000, 0) }, transport: handlerTransport{f}})
	if err != nil {
		t.Fatal(err)
	}
	s.Refresh(t.Context())
	now := time.Unix(1764575000, 0).Add(30 * time.Second)
	render := func() string {
		m := tui.New(s, tui.Options{Color: "never", Now: func() time.Time { return now }})
		v, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 14})
		return ansi.Strip(v.(tui.Model).View().Content) + "\n"
	}
	golden(t, "dashboard-100x14", render())
	f.set(func(f *fakeProm) {
		f.fault = func(w http.ResponseWriter, r *http.Request) { http.Error(w, "", http.StatusBadGateway) }
	})
	s.Refresh(t.Context())
	golden(t, "dashboard-down-100x14", render())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./promsource -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s\n--- got:\n%s\n--- want:\n%s", t.Name(), path, got, want)
	}
}

// handlerTransport answers requests with a handler, in memory: a golden
// needs a URL that does not change from run to run.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
