// Command gosdkserver is an MCP server over stdio built with the official Go
// SDK (github.com/modelcontextprotocol/go-sdk), the peer of the stdio case in
// interop/gosdk_test.go, which builds and runs it. It declares the name and
// version it is given and one tool that a health check must never call: a call
// creates the -called file, which the test looks for.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	name := flag.String("name", "gosdk-stdio", "serverInfo.name to declare")
	version := flag.String("version", "0.0.0", "serverInfo.version to declare")
	called := flag.String("called", "", "file to create if tools/call ever arrives")
	flag.Parse()

	s := mcp.NewServer(&mcp.Implementation{Name: *name, Version: *version}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "explode", Description: "has side effects; a health check must never call it"},
		func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			if *called != "" {
				_ = os.WriteFile(*called, []byte(req.Params.Name+"\n"), 0o600)
			}
			return nil, nil, errors.New("a health check must not call tools")
		})
	// Run ends when the client closes stdin, as mcpwatch does after a check.
	if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		fmt.Fprintln(os.Stderr, "gosdkserver:", err)
		os.Exit(1)
	}
}
