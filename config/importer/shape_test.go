package importer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// A LiteLLM file is parsed by the same YAML parser as a config, so it meets
// the same limits first: shapes that make the parser's time or memory
// explode are one positioned error.
func TestYAMLShapeLimits(t *testing.T) {
	var keys strings.Builder
	for i := range 1001 {
		fmt.Fprintf(&keys, "  k%d: 1\n", i)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"nested lists", "mcp_servers:\n" + strings.Repeat("- ", 200000) + "x\n",
			"in.yaml:2:199: lists and mappings nested more than 100 deep"},
		{"nested brackets", "mcp_servers: " + strings.Repeat("[", 100000) + "\n",
			"in.yaml:1:114: brackets nested more than 100 deep"},
		{"keys in one mapping", "model_list:\n" + keys.String() + "mcp_servers: {}\n",
			"in.yaml:1002:3: more than 1000 keys in one mapping (it starts at line 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := Import(LiteLLM, "in.yaml", []byte(tc.src)); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("import blocked for 30s")
			}
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
