package metrics

import (
	"os"
	"strings"
	"testing"
)

// TestScaleFiles: the N shards × M vantage points scrape config, and the
// rules that join the vantage points, pass promtool (config, rules, unit
// tests), and docs/scale.md quotes them verbatim.
func TestScaleFiles(t *testing.T) {
	doc, err := os.ReadFile("../docs/scale.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"testdata/scale-prometheus.yml", "testdata/scale-rules.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```yaml\n"+string(b)+"```") {
			t.Errorf("docs/scale.md does not quote %s verbatim", f)
		}
	}
	promtool(t)
	runPromtool(t, "", false, "check", "config", "testdata/scale-prometheus.yml")
	runPromtool(t, "", false, "check", "rules", "testdata/scale-rules.yml")
	runPromtool(t, "", false, "test", "rules", "testdata/scale-rules_test.yml")
}
