package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// wireJudge sits between mcp-go's client and its transport. mcp-go is lenient
// where a health check must not be, so the judge
//
//   - takes a server/discover answer as a stateless-era server only when it
//     lists a 2026-07-28-or-later version we speak; anything else reads as
//     "method not found", and mcp-go falls back to initialize by itself at no
//     extra request (some older servers answer every method with {}, and the
//     official Go SDK's stateful server lists only 2025-11-25 and older);
//   - offers initialize the highest initialize-era version both sides listed;
//   - retries once when a -32022 UnsupportedProtocolVersion error lists a
//     version both sides speak (mcp-go does not when it is the one it sent);
//   - judges every response: id equal to the request's in type and value,
//     "jsonrpc": "2.0", exactly one of result and error; an initialize result
//     must carry a protocolVersion we offered and a serverInfo.
//
// The first lie is kept: mcp-go swallows some errors (a failed discover is its
// cue to fall back), and a lie anywhere in a check makes the check fail.
type wireJudge struct {
	transport.Interface

	mu      sync.Mutex
	legacy  string   // initialize-era version to offer; "" = mcp-go's default
	offered string   // the version the initialize request carried
	listed  []string // supportedVersions from server/discover, for the record
	retried bool     // the one -32022 retry is spent
	lie     *verdict
	list    json.RawMessage // the latest list result, for the inventory (inventory_list.go)
}

// lieError is a response that breaks the protocol: the check fails with it.
type lieError struct{ v verdict }

func (e *lieError) Error() string { return e.v.Message }

func (j *wireJudge) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	if req.Method == string(mcp.MethodInitialize) {
		req = j.steerInitialize(req)
	}
	resp, err := j.send(ctx, req)
	if err != nil {
		return resp, err
	}
	if isListMethod(req.Method) {
		j.keepList(resp.Result)
	}
	switch req.Method {
	case string(mcp.MethodServerDiscover):
		return j.judgeDiscover(ctx, req, resp)
	case string(mcp.MethodInitialize):
		return j.judgeInitialize(ctx, req, resp)
	}
	return resp, nil
}

// send is one request with the envelope judged.
func (j *wireJudge) send(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	resp, err := j.Interface.SendRequest(ctx, req)
	if err != nil || resp == nil {
		return resp, err
	}
	if msg := envelopeLie(req, resp); msg != "" {
		return nil, j.record("protocol.jsonrpc", fmt.Sprintf("%s answer breaks JSON-RPC: %s", req.Method, msg))
	}
	return resp, nil
}

// envelopeLie says what is wrong with resp as the answer to req, or "".
func envelopeLie(req transport.JSONRPCRequest, resp *transport.JSONRPCResponse) string {
	switch {
	case resp.JSONRPC != mcp.JSONRPC_VERSION:
		return fmt.Sprintf(`"jsonrpc" is %q, not "2.0"`, clip(resp.JSONRPC))
	case resp.Error != nil && len(resp.Result) > 0:
		return "it carries both a result and an error"
	case resp.Error == nil && len(resp.Result) == 0:
		return "it carries neither a result nor an error"
	case resp.Error != nil && resp.ID.IsNil():
		return "" // JSON-RPC 2.0 §5: an error whose request id could not be read has id null
	case resp.ID.String() != req.ID.String():
		return fmt.Sprintf("response id %s does not match request id %s", clip(idText(resp.ID)), idText(req.ID))
	}
	return ""
}

// idText shows an id as JSON would, so 1 and "1" look different.
func idText(id mcp.RequestId) string {
	b, err := json.Marshal(id)
	if err != nil {
		return "?"
	}
	return string(b)
}

func clip(s string) string { return firstLine(s) }

func (j *wireJudge) record(class, msg string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.lie == nil {
		j.lie = &verdict{Status: StatusUnhealthy, Stage: StageHandshake, Class: class, Message: msg}
	}
	return &lieError{*j.lie}
}

// firstLie is the first protocol violation seen, if any.
func (j *wireJudge) firstLie() *verdict {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lie
}

func (j *wireJudge) judgeDiscover(ctx context.Context, req transport.JSONRPCRequest, resp *transport.JSONRPCResponse) (*transport.JSONRPCResponse, error) {
	if resp.Error != nil {
		if resp.Error.Code != mcp.UNSUPPORTED_PROTOCOL_VERSION {
			return resp, nil
		}
		supported := supportedOf(resp.Error.Data)
		modern, legacy := pickVersions(supported)
		j.mu.Lock()
		j.listed, j.legacy = supported, legacy
		retry := modern != "" && modern == headerVersion(req) && !j.retried
		j.retried = j.retried || retry
		j.mu.Unlock()
		if !retry {
			// A different modern version: mcp-go retries with it. Only older
			// ones: mcp-go falls back to initialize, offered j.legacy.
			return resp, nil
		}
		again, err := j.send(ctx, retryID(req))
		if err != nil || again.Error != nil {
			return again, err
		}
		resp = again
	}
	var d struct {
		SupportedVersions []string `json:"supportedVersions"`
	}
	_ = json.Unmarshal(resp.Result, &d)
	modern, legacy := pickVersions(d.SupportedVersions)
	j.mu.Lock()
	j.listed = d.SupportedVersions
	if modern == "" {
		j.legacy = legacy
	}
	j.mu.Unlock()
	if modern == "" {
		return &transport.JSONRPCResponse{JSONRPC: resp.JSONRPC, ID: resp.ID, Error: &mcp.JSONRPCErrorDetails{
			Code: mcp.METHOD_NOT_FOUND, Message: "server/discover answer lists no stateless-era protocol version we speak",
		}}, nil
	}
	return resp, nil
}

// retryID gives a retried request an id of its own, of the same type: mcp-go
// counts ids up from 1, so an offset keeps it clear of every id it will use.
func retryID(req transport.JSONRPCRequest) transport.JSONRPCRequest {
	if n, ok := req.ID.Value().(int64); ok {
		req.ID = mcp.NewRequestId(n + 1<<40)
	}
	return req
}

// pickVersions returns the highest stateless-era and the highest
// initialize-era version that we speak and the server listed.
func pickVersions(listed []string) (modern, legacy string) {
	for _, v := range mcp.ValidProtocolVersions { // newest first
		if !slices.Contains(listed, v) {
			continue
		}
		if mcp.IsModernProtocol(v) && modern == "" {
			modern = v
		}
		if !mcp.IsModernProtocol(v) && legacy == "" {
			legacy = v
		}
	}
	return modern, legacy
}

// supportedOf reads the supported list of a -32022 error's data.
func supportedOf(data any) []string {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil
	}
	var d mcp.UnsupportedProtocolVersionData
	_ = json.Unmarshal(raw, &d)
	return d.Supported
}

// headerVersion is the protocol version a request declared in its _meta (the
// MCP-Protocol-Version header carries the same one).
func headerVersion(req transport.JSONRPCRequest) string {
	if v := req.Header.Get("MCP-Protocol-Version"); v != "" {
		return v
	}
	raw, _ := json.Marshal(req.Params)
	var p struct {
		Meta map[string]any `json:"_meta"`
	}
	_ = json.Unmarshal(raw, &p)
	v, _ := p.Meta[mcp.MetaKeyProtocolVersion].(string)
	return v
}

// steerInitialize offers the highest initialize-era version both sides
// listed, and notes what was offered.
func (j *wireJudge) steerInitialize(req transport.JSONRPCRequest) transport.JSONRPCRequest {
	raw, err := json.Marshal(req.Params)
	var params map[string]any
	if err != nil || json.Unmarshal(raw, &params) != nil || params == nil {
		return req
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.legacy != "" {
		params["protocolVersion"] = j.legacy
		req.Params = params
	}
	j.offered, _ = params["protocolVersion"].(string)
	return req
}

func (j *wireJudge) judgeInitialize(ctx context.Context, req transport.JSONRPCRequest, resp *transport.JSONRPCResponse) (*transport.JSONRPCResponse, error) {
	if resp.Error != nil && resp.Error.Code == mcp.UNSUPPORTED_PROTOCOL_VERSION {
		_, legacy := pickVersions(supportedOf(resp.Error.Data))
		j.mu.Lock()
		retry := legacy != "" && legacy != j.offered && !j.retried
		if retry {
			j.retried, j.legacy = true, legacy
		}
		j.mu.Unlock()
		if !retry {
			return resp, nil
		}
		return j.SendRequest(ctx, retryID(req))
	}
	if resp.Error != nil {
		return resp, nil
	}
	var res struct {
		ProtocolVersion string `json:"protocolVersion"`
		ServerInfo      *struct {
			Name *string `json:"name"`
		} `json:"serverInfo"`
	}
	if err := json.Unmarshal(resp.Result, &res); err != nil {
		return nil, j.record("protocol.bad_json", "initialize result is not an object: "+clip(err.Error()))
	}
	j.mu.Lock()
	offered := j.offered
	j.mu.Unlock()
	v := res.ProtocolVersion
	switch {
	case !mcp.IsValidProtocolVersion(v) || mcp.IsModernProtocol(v) || (offered != "" && v > offered):
		return nil, j.record("protocol.version", fmt.Sprintf(
			"initialize answered protocolVersion %q, which mcpwatch never offered (offered %s)", clip(v), offered))
	case res.ServerInfo == nil || res.ServerInfo.Name == nil:
		return nil, j.record("protocol.initialize", "initialize result has no serverInfo (name and version are required)")
	}
	return resp, nil
}

// listedVersions is what server/discover said the server supports.
func (j *wireJudge) listedVersions() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.listed
}

// httpWireJudge keeps the wrapped transport an mcp-go HTTPConnection, so the
// negotiated version still reaches the MCP-Protocol-Version header. A stdio
// transport gets the plain judge: were it an HTTPConnection, mcp-go would
// stop sending notifications/cancelled for abandoned requests.
type httpWireJudge struct {
	*wireJudge
}

func (g httpWireJudge) SetProtocolVersion(v string) {
	if h, ok := g.Interface.(transport.HTTPConnection); ok {
		h.SetProtocolVersion(v)
	}
}
