// Command mcpwatch health-checks MCP servers, OAuth2 client-credentials ones included.
package main

import (
	"os"

	"github.com/mcpwatch/mcpwatch/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], os.Stdout, os.Stderr))
}
