// Package cmd is the command line: it parses flags and wires config, probe and outputs together.
package cmd

import (
	"fmt"
	"io"
)

// Main runs mcpwatch with args (without the program name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "mcpwatch: not implemented yet")
	return 2
}
