package importer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

// FuzzImport: no input makes Import panic, and whatever it accepts loads.
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
	})
}
