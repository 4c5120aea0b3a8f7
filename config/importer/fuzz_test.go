package importer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

// FuzzImport: no input makes Import panic, whatever it accepts loads, and
// the config it writes (comments quoting the source included) carries no
// control, C1 or bidi control raw.
// go test -fuzz FuzzImport ./config/importer explores further.
func FuzzImport(f *testing.F) {
	for _, fx := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", fx.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fx.format == MCPJSON, data)
	}
	f.Add(false, []byte("mcp_servers:\n  a: &x {url: https://a.example.com, <<: *x}\n"))
	f.Add(true, []byte(`{"mcpServers": {"a": {"url": "https://a.example.com", "headers": {"Authorization": "Bearer ${A:-${B}}"}}}}`))
	f.Fuzz(func(t *testing.T, asJSON bool, data []byte) {
		format := LiteLLM
		if asJSON {
			format = MCPJSON
		}
		res, err := Import(format, "fuzz", data)
		if err != nil {
			return
		}
		if _, _, err := config.Parse("out", res.Config); err != nil {
			t.Fatalf("accepted input gives a config that does not load: %v\n%s", err, res.Config)
		}
		if r, ok := terminalUnsafe(string(res.Config)); ok {
			t.Fatalf("output carries %U raw:\n%q", r, res.Config)
		}
	})
}
