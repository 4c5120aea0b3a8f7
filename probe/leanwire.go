package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// leanClient is one check's lean session (lean.go): it writes mcp-go's
// requests itself and reads the answers as mcp-go's streamable HTTP
// transport and the wire judge did, keeping the recorder's books.
type leanClient struct {
	rec        recorder // exchanges, connect time, the size bound; headers and credential
	base       http.RoundTripper
	u          *url.URL
	version    string
	versionHdr []string // MCP-Protocol-Version's value
	meta       []byte   // the _meta object every request carries
	client     string   // mcpwatch's version, in meta
	id         int64    // the last request id (mcp-go counts from 1)
	buf        *[]byte
	lie        *verdict        // the first broken answer (the wire judge's rule)
	capture    *replayed       // when set, the next exchange is kept in it
	extra      []headerValue   // configured headers, then the credential: canonical, made once
	page       json.RawMessage // liveness's tools/list page, for the inventory
	read       *listPage       // what was read of it, when the fast reader could
	urlErr     error
	wire       bool // base is a wireConn: it reports the connection itself
}

// leanBufs are answer buffers: MCP's answers here are a few KB.
var leanBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// headerValue is one header the lean client adds to every request.
type headerValue struct {
	name  string
	value []string
}

// newLeanClient speaks version (the remembered one, or mcp-go's first);
// its round tripper is the caller's to set (lc.base and lc.rec.base).
func newLeanClient(r *checkRun, version string) *leanClient {
	u, err := url.Parse(r.srv.URL)
	lc := &leanClient{
		rec:        recorder{headers: r.prep.headers, auth: r.authHeader, max: r.maxMessage()},
		u:          u,
		urlErr:     err,
		version:    version,
		versionHdr: []string{version},
		meta:       requestMeta(version, r.c.Version),
		client:     r.c.Version,
		buf:        leanBufs.Get().(*[]byte),
	}
	// As the recorder sets them on mcp-go's requests: configured headers,
	// then the credential; the last Set of a name wins.
	set := func(name, value string) {
		name = http.CanonicalHeaderKey(name)
		lc.extra = slices.DeleteFunc(lc.extra, func(e headerValue) bool { return e.name == name })
		lc.extra = append(lc.extra, headerValue{name, []string{value}})
	}
	for k, v := range r.prep.headers {
		set(k, v)
	}
	if name, value := lc.rec.auth(); name != "" {
		set(name, value)
	}
	return lc
}

// release returns the answer buffer (nothing read from it outlives the check).
func (lc *leanClient) release() {
	if cap(*lc.buf) <= 64<<10 {
		*lc.buf = (*lc.buf)[:0]
		leanBufs.Put(lc.buf)
	}
	lc.buf = nil
}

// metaCache holds the encoded _meta per protocol and mcpwatch version: the
// same bytes for every request of every check.
var metaCache sync.Map

// requestMeta is what mcp-go puts in every stateless-era request's _meta.
func requestMeta(version, clientVersion string) []byte {
	key := version + "\x00" + clientVersion
	if b, ok := metaCache.Load(key); ok {
		return b.([]byte)
	}
	b, _ := json.Marshal(map[string]any{ // map keys sort, as mcp-go's do
		mcp.MetaKeyProtocolVersion:    version,
		mcp.MetaKeyClientCapabilities: mcp.ClientCapabilities{},
		mcp.MetaKeyClientInfo:         mcp.Implementation{Name: "mcpwatch", Version: clientVersion},
	})
	metaCache.Store(key, b)
	return b
}

// leanReq is a request of the lean path: its method and, for lists, a cursor.
type leanReq struct {
	method string
	cursor string
}

var leanDiscover = leanReq{method: string(mcp.MethodServerDiscover)}

func leanList(kind, cursor string) leanReq {
	return leanReq{method: listMethod(kind), cursor: cursor}
}

// bodies holds the requests without a cursor, encoded once: every check of
// every server sends the same discover and first list pages (same ids, same
// _meta). They are read, never modified.
var bodies struct {
	sync.RWMutex
	m map[bodyKey][]byte
}

type bodyKey struct {
	version, client, method string
	id                      int64
}

const maxBodies = 256 // versions × mcpwatch versions × methods × ids: a handful in practice

func (lc *leanClient) bodyOf(q leanReq) []byte {
	if q.cursor != "" {
		return q.body(lc.meta, lc.id)
	}
	k := bodyKey{lc.version, lc.client, q.method, lc.id}
	bodies.RLock()
	b, ok := bodies.m[k]
	bodies.RUnlock()
	if ok {
		return b
	}
	b = q.body(lc.meta, lc.id)
	bodies.Lock()
	if bodies.m == nil || len(bodies.m) >= maxBodies {
		bodies.m = map[bodyKey][]byte{}
	}
	bodies.m[k] = b
	bodies.Unlock()
	return b
}

// body is the request as mcp-go encodes it: params is an object of _meta
// and the cursor, keys sorted.
func (q leanReq) body(meta []byte, id int64) []byte {
	b := make([]byte, 0, 96+len(meta)+len(q.cursor))
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":`...)
	b = strconv.AppendQuote(b, q.method)
	b = append(b, `,"params":{"_meta":`...)
	b = append(b, meta...)
	if q.cursor != "" {
		c, _ := json.Marshal(q.cursor)
		b = append(b, `,"cursor":`...)
		b = append(b, c...)
	}
	return append(b, "}}"...)
}

// call sends one request and returns the answer with its envelope judged.
func (lc *leanClient) call(ctx context.Context, q leanReq) (*transport.JSONRPCResponse, error) {
	if lc.urlErr != nil {
		return nil, fmt.Errorf("failed to create request: %w", lc.urlErr)
	}
	lc.id++
	body := lc.bodyOf(q)
	h := make(http.Header, 5+len(lc.extra))
	leanHeaders(h, lc.versionHdr, q.method)
	for _, e := range lc.extra {
		h[e.name] = e.value
	}
	if lc.id == 1 && !lc.wire { // the first request makes the connection: time it
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: lc.rec.gotConn})
	}
	req := (&http.Request{Method: http.MethodPost, URL: lc.u, Host: lc.u.Host, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		GetBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
	}).WithContext(ctx)
	lc.rec.started()
	resp, err := lc.base.RoundTrip(req)
	resp = lc.rec.observe(req, resp, err)
	if c := lc.capture; c != nil { // kept for a handover to mcp-go (lean.go)
		lc.capture = nil
		if err != nil {
			c.err = err
		} else {
			c.status, c.header = resp.StatusCode, resp.Header
			resp.Body = teeBody{resp.Body, &c.body}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("failed to send request: %w", err)
	}
	defer resp.Body.Close()
	ans, err := lc.answer(ctx, resp)
	if err != nil {
		return nil, err
	}
	sent := transport.JSONRPCRequest{ID: mcp.NewRequestId(lc.id), Method: q.method}
	if msg := envelopeLie(sent, ans); msg != "" {
		return nil, lc.record("protocol.jsonrpc", fmt.Sprintf("%s answer breaks JSON-RPC: %s", q.method, msg))
	}
	return ans, nil
}

// answer reads resp as mcp-go's streamable HTTP transport does.
func (lc *leanClient) answer(ctx context.Context, resp *http.Response) (*transport.JSONRPCResponse, error) {
	if resp.StatusCode == http.StatusNotFound { // mcp-go: any 404 on a POST ends the session
		return nil, fmt.Errorf("failed to send request: %w", transport.ErrSessionTerminated)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		if resp.StatusCode == http.StatusUnauthorized {
			return nil, transport.ErrAuthorizationRequired
		}
		body, _ := lc.readAll(resp.Body)
		var ans transport.JSONRPCResponse
		if json.Unmarshal(body, &ans) == nil {
			return &ans, nil
		}
		return nil, fmt.Errorf("request failed with status %d: %s", resp.StatusCode, body)
	}
	switch ct := lc.rec.lastExchange().ContentType; ct {
	case "application/json":
		body, rerr := lc.readAll(resp.Body)
		if ans, ok := fastEnvelope(body); ok { // leanenvelope.go
			return &ans, nil
		}
		var ans transport.JSONRPCResponse
		if err := json.Unmarshal(body, &ans); err != nil {
			// mcp-go decodes the first JSON value of the body and reads no further.
			ans = transport.JSONRPCResponse{}
			if err := json.NewDecoder(bytes.NewReader(body)).Decode(&ans); err != nil {
				if rerr != nil {
					err = rerr
				}
				return nil, fmt.Errorf("failed to decode response: %w", err)
			}
		}
		if ans.ID.IsNil() {
			return nil, fmt.Errorf("response should contain RPC id: %v", ans)
		}
		return &ans, nil
	case "text/event-stream":
		return readSSEAnswer(ctx, resp.Body)
	}
	return nil, fmt.Errorf("unexpected content type: %s", resp.Header.Get("Content-Type"))
}

// readAll reads a (bounded) body into the check's buffer.
func (lc *leanClient) readAll(r io.Reader) ([]byte, error) {
	b := (*lc.buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			*lc.buf = b
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// record keeps the first broken answer; the check fails with it.
func (lc *leanClient) record(class, msg string) error {
	if lc.lie == nil {
		lc.lie = &verdict{Status: StatusUnhealthy, Stage: StageHandshake, Class: class, Message: msg}
	}
	return &lieError{*lc.lie}
}

// readSSEAnswer reads an event stream answering a POST up to the response,
// as mcp-go does: events that are not JSON-RPC, notifications and requests
// from the server are passed over (mcp-go answers a server's request; the
// stateless era has none on a discover or list stream).
func readSSEAnswer(ctx context.Context, body io.Reader) (*transport.JSONRPCResponse, error) {
	br := bufio.NewReaderSize(body, 1024)
	var data strings.Builder
	hasData := false
	for {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("unexpected nil response: %w", err)
		}
		eof := err == io.EOF
		line = strings.TrimRight(line, "\r\n")
		if v, ok := strings.CutPrefix(line, "data:"); ok && !eof {
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(v, " "))
			hasData = true
		}
		if (line == "" || eof) && hasData {
			if ans := sseResponse(data.String()); ans != nil {
				return ans, nil
			}
			data.Reset()
			hasData = false
		}
		if eof {
			return nil, errors.New("unexpected nil response")
		}
	}
}

// sseResponse is the event's data as the response to our request, or nil.
func sseResponse(data string) *transport.JSONRPCResponse {
	var ans transport.JSONRPCResponse
	if json.Unmarshal([]byte(data), &ans) != nil || ans.ID.IsNil() {
		return nil // not JSON-RPC, or a notification
	}
	var probe struct {
		Method json.RawMessage `json:"method"`
	}
	if json.Unmarshal([]byte(data), &probe) == nil && probe.Method != nil {
		return nil // the server's own request
	}
	return &ans
}
