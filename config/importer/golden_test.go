package importer

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// fixtures are realistic inputs; each notes its source inside (a comment,
// or a "$comment" key in JSON, which the importer ignores).
var fixtures = []struct {
	file   string
	format Format
	// Imported, Disabled, Omitted
	counts [3]int
}{
	{"litellm_docs.yaml", LiteLLM, [3]int{5, 0, 2}},
	{"litellm_auth.yaml", LiteLLM, [3]int{16, 3, 0}},
	{"litellm_m2m.yaml", LiteLLM, [3]int{3, 0, 0}},
	{"claude_code.mcp.json", MCPJSON, [3]int{5, 1, 1}},
	{"cursor.mcp.json", MCPJSON, [3]int{4, 1, 1}},
	{"vscode.mcp.json", MCPJSON, [3]int{2, 0, 0}},
}

func importFixture(t *testing.T, file string, f Format) *Result {
	t.Helper()
	path := filepath.Join("testdata", file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(f, path, data)
	if err != nil {
		t.Fatalf("Import(%s): %v", file, err)
	}
	return res
}

// TestGolden pins the whole output of every fixture, comments included:
// the comments are the part a reader relies on.
func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			res := importFixture(t, fx.file, fx.format)
			golden := filepath.Join("testdata", strings.TrimSuffix(fx.file, filepath.Ext(fx.file))+".golden")
			if *update {
				if err := os.WriteFile(golden, res.Config, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(res.Config) != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, res.Config)
			}
			if got := [3]int{res.Imported, res.Disabled, res.Omitted}; got != fx.counts {
				t.Errorf("imported, disabled, omitted = %v, want %v", got, fx.counts)
			}
		})
	}
}

// TestFixturesLoad: every import loads with config.Parse, without errors
// and without warnings (a warning would mean a literal secret or a value
// that is not what it seems).
func TestFixturesLoad(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			res := importFixture(t, fx.file, fx.format)
			f, warns, err := config.Parse("imported.yaml", res.Config)
			if err != nil {
				t.Fatalf("the import does not load:\n%v\n%s", err, res.Config)
			}
			for _, w := range warns {
				t.Errorf("warning: %s", w)
			}
			if len(f.Servers) != res.Imported {
				t.Errorf("loaded %d servers, Imported = %d", len(f.Servers), res.Imported)
			}
		})
	}
}
