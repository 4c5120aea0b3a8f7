// Package interop holds tests of the probe against MCP servers that are not
// our own code: the reference server @modelcontextprotocol/server-everything,
// over streamable HTTP, legacy HTTP+SSE and stdio. The server is installed by
// .ci/interop.sh into .tools/interop (pinned by package.json and
// package-lock.json here); without it the tests skip, unless CI is set.
package interop
