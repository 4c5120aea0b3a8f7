package metrics

import (
	"os"
	"strings"
	"testing"
)

// TestDocsShowWhatIsTested: docs/metrics.md quotes the scrape config and
// alert rules that CI checks with promtool, and names every mcpwatch metric a
// real scrape contains.
func TestDocsShowWhatIsTested(t *testing.T) {
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"testdata/alerts.yml", "testdata/prometheus.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```yaml\n"+string(b)+"```") {
			t.Errorf("docs/metrics.md does not quote %s verbatim", f)
		}
	}
	f := newFleet(t)
	sweep(t, f.pool, f.swept...)
	for name := range families(t, scrape(t, f.metrics.Handler())) {
		if strings.HasPrefix(name, "mcpwatch_") && !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/metrics.md does not document %s", name)
		}
	}
}
