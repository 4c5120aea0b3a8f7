// Package authserver is a real OAuth 2.0 client-credentials authorization server (RFC 6749 §4.4)
// that runs in-process, plus the resource-server helpers an MCP server behind OAuth needs.
//
// It exists so that mcpwatch's token code, probes and the demo fleet are exercised against the
// actual wire protocol — form-encoded requests, HTTP Basic client authentication, RFC 7523
// private_key_jwt assertions (signature and every claim checked, jti replay refused), RFC 6749
// §5.2 error bodies, RFC 8414 and RFC 9728 metadata, RFC 6750 bearer challenges — rather than a mock
// that agrees with whatever the client happens to send. Faults (SetFault) break it in the ways
// real token endpoints break.
//
// Routes served by a Server (relative to where it is mounted):
//
//	POST /token                                   token endpoint
//	GET  /.well-known/oauth-authorization-server  RFC 8414 metadata
//
// An issuer with a path (for example https://host/tenant) is served by mounting the Server under
// that path with http.StripPrefix, calling SetIssuer, and mounting MetadataHandler at
// /.well-known/oauth-authorization-server/tenant on the host root, as RFC 8414 §3.1 requires.
package authserver
