package probe

import (
	"context"
	"encoding/json"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// discoverGuard wraps the streamable HTTP and stdio transports so that a server/discover
// answer listing no protocol version we speak reads as "method not found".
// Some older servers answer every unknown method with {}, which mcp-go would
// take for a 2026-07-28 server and never send initialize; with the guard,
// mcp-go falls back to the initialize handshake by itself, at no extra request.
type discoverGuard struct {
	transport.Interface
}

func (g discoverGuard) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	resp, err := g.Interface.SendRequest(ctx, req)
	if err != nil || resp == nil || resp.Error != nil || req.Method != string(mcp.MethodServerDiscover) {
		return resp, err
	}
	var d struct {
		SupportedVersions []string `json:"supportedVersions"`
	}
	if json.Unmarshal(resp.Result, &d) != nil || mcp.NegotiateMutuallySupportedVersion(d.SupportedVersions) == "" {
		return &transport.JSONRPCResponse{JSONRPC: resp.JSONRPC, ID: resp.ID, Error: &mcp.JSONRPCErrorDetails{
			Code: mcp.METHOD_NOT_FOUND, Message: "server/discover answer lists no protocol version we speak",
		}}, nil
	}
	return resp, nil
}

// httpDiscoverGuard is the guard around an HTTP transport. A stdio transport
// gets the plain guard: were it an HTTPConnection, mcp-go would stop sending
// notifications/cancelled for abandoned requests, which stdio relies on.
type httpDiscoverGuard struct {
	discoverGuard
}

// SetProtocolVersion keeps the wrapped transport an mcp-go HTTPConnection, so
// the negotiated version still reaches the MCP-Protocol-Version header.
func (g httpDiscoverGuard) SetProtocolVersion(v string) {
	if h, ok := g.Interface.(transport.HTTPConnection); ok {
		h.SetProtocolVersion(v)
	}
}
