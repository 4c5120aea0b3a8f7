// Package interop holds tests of the probe against MCP servers that are not
// our own code.
//
// The reference server @modelcontextprotocol/server-everything runs over
// streamable HTTP, legacy HTTP+SSE and stdio. It is installed by
// .ci/interop.sh into .tools/interop (pinned by package.json and
// package-lock.json here); without it those tests skip, unless CI is set.
//
// Servers built with the official Go SDK (github.com/modelcontextprotocol/go-sdk,
// pinned in go.mod, used only here) run in every mode it offers: streamable
// HTTP stateful and stateless, each with SSE or JSON responses, legacy
// HTTP+SSE, behind go-sdk's own bearer-token middleware, and over stdio
// (gosdkserver, built by the test). They need nothing installed.
package interop
