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
//
// Servers built with the official TypeScript SDK (@modelcontextprotocol/sdk,
// pinned beside server-everything and installed with it) come from one
// script, tssdk/server.mjs, in each of its modes: streamable HTTP stateful
// (a transport per session) and stateless (a server per request), legacy
// HTTP+SSE, and stdio. The script imports the SDK through tssdk/node_modules,
// a symlink into .tools/interop (ESM imports ignore NODE_PATH), and logs what
// it receives so the tests can show and assert what the probe sent.
package interop
