//go:build pprof

package cmd

import (
	"net"
	"net/http"
	_ "net/http/pprof" // the profiles measure-serve.sh reads
	"os"
)

// A build with -tags pprof (scripts/measure-serve.sh with PROFILE_DIR set)
// serves net/http/pprof on MCPWATCH_PPROF, a loopback address. Release
// builds carry none of it.
func init() {
	addr := os.Getenv("MCPWATCH_PPROF")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return
	}
	go http.Serve(ln, nil) //nolint:errcheck // lives as long as the process
}
