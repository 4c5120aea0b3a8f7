package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// The lean client: a stateless-era check over streamable HTTP is two POSTs,
// server/discover and tools/list, and most of a probe's cost in mcp-go was
// building, encoding and decoding what those two need (docs/performance.md).
// The lean path sends the same requests (the same headers, _meta and ids as
// mcp-go, leanwire.go) and decodes only what the wire judge and the result
// read. Anything it cannot judge the way mcp-go's path would goes to that
// path: on a first negotiation, a discover answer that is not a stateless
// era's is handed over (mcp-go is given the exchange, see handover); with
// a remembered era, a failed discover renegotiates from scratch
// (errLeanMiss), as a remembered era that stopped working always has.

// errLeanMiss marks a lean discover that today's path would have answered
// by falling back within the same session (a JSON-RPC error, no stateless
// version listed, a result it could not read, the discover timeout):
// sessionStages renegotiates through mcp-go.
var errLeanMiss = errors.New("remembered stateless era did not answer as before")

// leanAttempts counts lean sessions, for the tests that must know which
// path ran; leanOff makes every session mcp-go's, for the tests that
// compare the two.
var (
	leanAttempts, leanHandovers atomic.Int64
	leanOff                     atomic.Bool
)

// leanEligible: streamable HTTP with no era remembered (the lean client
// sends mcp-go's first discover and hands anything but a stateless-era
// answer over to mcp-go), or the stateless era remembered.
func (r *checkRun) leanEligible(tr string) bool {
	if tr != config.TransportHTTP || leanOff.Load() {
		return false
	}
	if r.mem == nil {
		return true
	}
	return r.mem.Era == EraStateless && r.mem.Transport == config.TransportHTTP && mcp.IsModernProtocol(r.mem.Version)
}

// leanAttempt is attempt's stateless-era session without mcp-go.
func (r *checkRun) leanAttempt(ctx context.Context) error {
	leanAttempts.Add(1)
	r.tried = config.TransportHTTP
	version := mcp.LATEST_PROTOCOL_VERSION // what mcp-go offers first
	var capture *replayed
	if r.mem != nil {
		version = r.mem.Version
	}
	var (
		base  *http.Transport
		certs *tlsverify.Recorder
		wire  *wireConn
	)
	lc := newLeanClient(r, version)
	if wireEligible(lc.u, proxyFor) {
		wire = newWireConn(lc.u, lc.rec.connReady) // wireconn.go
		wire.headersTooLarge = &lc.rec.headersTooLarge
		defer wire.Close()
		lc.rec.base, lc.base, lc.wire = wire, wire, true
	} else {
		base, certs = r.transport()
		defer base.CloseIdleConnections()
		lc.rec.base, lc.base = base, base
	}
	defer lc.release()
	if r.mem == nil {
		capture = &replayed{}
		lc.capture = capture
	}

	// No session context: nothing outlives a stage here (no stream hangs
	// off the session), and each stage has its own deadline, so the three
	// stages are bounded by 3 × timeout as attempt's session is.
	start, realStart := r.c.now(), time.Now()
	init, err := lc.discover(ctx, min(5*time.Second, r.srv.Timeout/2))
	rec := &lc.rec
	if capture != nil && (err != nil || lc.lie != nil || rec.tooLarge.Load()) && !rec.headersTooLarge.Load() {
		// Not a stateless-era answer on a first negotiation: mcp-go goes
		// on from the answer it would have had (initialize, or its version
		// retry), the discover replayed to it; on the same connection,
		// or after a wire's, on a Transport's (mcp-go may hold a stream
		// open beside its requests). Headers that passed the wire's bound
		// are not handed over: mcp-go would ask again, for 10 MB of them.
		if wire != nil {
			wire.Close()
			base, certs = r.transport()
			rec.base = base
		}
		rec.replay = capture
		leanHandovers.Add(1)
		return r.mcpAttempt(ctx, config.TransportHTTP, &handover{base: base, certs: certs, rec: rec,
			start: start, deadline: realStart.Add(r.srv.Timeout)})
	}
	connected := r.noteHandshake(rec, certs, start, err == nil && lc.lie == nil)
	if err != nil && connected {
		// mcp-go's path answered any failed discover by trying initialize
		// in the same session: renegotiating from scratch gives the check
		// that path's verdict (one request more, on a failing server only).
		err = errors.Join(errLeanMiss, err)
	}
	if err != nil || lc.lie != nil || rec.tooLarge.Load() {
		return r.sessionFailure(StageHandshake, err, rec, lc.lie, connected)
	}
	live := func(ctx context.Context) (string, error) { return lc.liveness(ctx, init) }
	if err := r.livenessWith(ctx, init, config.TransportHTTP, live, lc); err != nil {
		return r.sessionFailure(StageLiveness, err, rec, lc.lie, true)
	}
	return nil
}

// discoverAnswer is what the check reads of a server/discover result (the
// fields of mcp.DiscoverResult that mcp-go's path used).
type discoverAnswer struct {
	SupportedVersions []string               `json:"supportedVersions"`
	Capabilities      mcp.ServerCapabilities `json:"capabilities"`
	Instructions      jsonString             `json:"instructions"` // read by nothing, typed as mcp-go's
	Meta              struct {
		ServerInfo json.RawMessage `json:"io.modelcontextprotocol/serverInfo"`
	} `json:"_meta"`
}

// discover sends server/discover at lc's version and reads the answer as
// the wire judge and mcp-go's Initialize did. Its deadline is mcp-go's
// discover probe's (shorter than the stage's): past it, mcp-go's path went
// on to initialize, and so do a hand-over and a renegotiation.
func (lc *leanClient) discover(ctx context.Context, probeTimeout time.Duration) (*mcp.InitializeResult, error) {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	resp, err := lc.call(pctx, leanDiscover)
	if err != nil {
		if ctx.Err() == nil && pctx.Err() != nil { // the probe's own timeout: mcp-go fell back
			return nil, errors.Join(errLeanMiss, err)
		}
		return nil, err // a lie (lc.lie) renegotiates by its class
	}
	if resp.Error != nil {
		return nil, errors.Join(errLeanMiss, resp.Error.AsError())
	}
	if init, ok := fastDiscover(resp.Result, lc.version); ok { // leanread.go
		return init, nil
	}
	return discoverOf(resp.Result, lc.version)
}

// discoverOf reads a discover result with json: what mcp-go's path read.
func discoverOf(raw json.RawMessage, version string) (*mcp.InitializeResult, error) {
	var d discoverAnswer
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, errors.Join(errLeanMiss, fmt.Errorf("failed to unmarshal discover result: %w", err))
	}
	if modern, _ := pickVersions(d.SupportedVersions); modern == "" {
		return nil, errors.Join(errLeanMiss, errors.New("server/discover answer lists no stateless-era protocol version we speak"))
	}
	init := &mcp.InitializeResult{ProtocolVersion: version, Capabilities: d.Capabilities}
	if raw := d.Meta.ServerInfo; raw != nil {
		var info mcp.Implementation
		if json.Unmarshal(raw, &info) == nil {
			init.ServerInfo = info
		}
	}
	return init, nil
}

// liveness is the stateless era's: tools/list when tools are offered
// (the page is kept for the inventory), else discover's answer was it.
func (lc *leanClient) liveness(ctx context.Context, init *mcp.InitializeResult) (string, error) {
	if init.Capabilities.Tools == nil {
		return string(mcp.MethodServerDiscover), nil
	}
	raw, err := lc.list(ctx, KindTool, "")
	if err != nil {
		return "", err
	}
	lc.page, lc.read = raw, nil
	if p, ok := fastListPage(raw); ok { // read once, for liveness and the inventory
		lc.read = &p
	} else if err := toolsShape(raw); err != nil {
		return "", err
	}
	return string(mcp.MethodToolsList), nil
}

// toolsShape is what mcp-go's typed page failed on: the checks that matter
// for the verdict are the page's shape and names.
func toolsShape(raw json.RawMessage) error {
	var p struct {
		Tools []struct {
			Name        jsonString `json:"name"`
			Title       jsonString `json:"title"`
			Description jsonString `json:"description"`
		} `json:"tools"`
		NextCursor jsonString `json:"nextCursor"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("failed to unmarshal response: %w", err)
	}
	return nil
}

// list is the lister's: one list request, the raw result.
func (lc *leanClient) list(ctx context.Context, kind, cursor string) (json.RawMessage, error) {
	resp, err := lc.call(ctx, leanList(kind, cursor))
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error.AsError()
	}
	return resp.Result, nil
}

// takeList hands liveness's tools/list page, and what it read of it, to
// the inventory once.
func (lc *leanClient) takeList() (json.RawMessage, *listPage) {
	raw, read := lc.page, lc.read
	lc.page, lc.read = nil, nil
	return raw, read
}

// leanHeaders are the headers of every lean request, before the configured
// ones and the credential (the recorder's order).
// Header values are shared, never modified (net/http does not; Set replaces).
func leanHeaders(h http.Header, version []string, method string) {
	h["Content-Type"] = jsonType
	h["Accept"] = acceptBoth
	h["Mcp-Protocol-Version"] = version
	h[mcp.HeaderMethod] = methodHeader(method)
}

var (
	jsonType   = []string{"application/json"}
	acceptBoth = []string{"application/json, text/event-stream"}
	methodVals = map[string][]string{}
)

func init() {
	for _, m := range []string{string(mcp.MethodServerDiscover), string(mcp.MethodToolsList), string(mcp.MethodPromptsList), string(mcp.MethodResourcesList)} {
		methodVals[m] = []string{m}
	}
}

func methodHeader(m string) []string {
	if v, ok := methodVals[m]; ok {
		return v
	}
	return []string{m}
}

// jsonString checks that a value is a JSON string (or null, which leaves a Go
// string alone), as decoding into a string would, without keeping it.
type jsonString struct{}

func (*jsonString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' || string(b) == "null" {
		return nil
	}
	return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[string]()}
}
