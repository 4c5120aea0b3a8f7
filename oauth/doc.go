// Package oauth obtains OAuth 2.0 client-credentials tokens for the MCP servers mcpwatch probes,
// and discovers where to get them (RFC 9728 protected-resource metadata, RFC 8414
// authorization-server metadata) when no token URL is configured.
//
// One TokenCache serves the whole process: servers whose credentials are equivalent share one
// token, fetched once however many probes ask at the same moment, refreshed ahead of expiry, and
// dropped when a server rejects it. Every failure is an *Error with a short machine class
// (token.invalid_client, discovery.resource_mismatch, …) and a one-line message that never
// contains the client secret or an access token.
//
// This package knows nothing about probes, config or the command line; probe wires it in.
package oauth
