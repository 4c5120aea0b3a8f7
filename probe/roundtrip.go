package probe

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// exchange is what the probe remembers of one HTTP round trip: enough to name
// the failure precisely, because mcp-go folds many status codes into one error
// (a 403 on the first request comes back as "legacy SSE server").
type exchange struct {
	Method      string // HTTP method
	Status      int    // 0 when no response arrived
	ContentType string // media type only
	WWWAuth     string // WWW-Authenticate on 401/403, every value, comma-joined
	// Unauthorized is the first 401 of the session when no 2xx answer came after it:
	// a server that answers 401 and then something else (mcp-go retries the handshake
	// without server/discover and may get a 400) is still asking for credentials.
	Unauthorized *exchange
}

// recorder is the http.RoundTripper every request of one check goes through.
// It adds the configured headers and credentials to every request (the
// session DELETE included, which mcp-go sends without its header hooks), and
// records connection establishment and the last exchange.
type recorder struct {
	base    http.RoundTripper
	headers map[string]string
	// auth returns the credential header for the current attempt ("" = none).
	auth func() (name, value string)
	// max bounds every message read from the server (a JSON body, an SSE event).
	max      int64
	tooLarge atomic.Bool // a message passed max; the check fails protocol.too_large
	// headersTooLarge: an answer's headers passed maxWireHeader (the lean
	// client's wire); the check fails protocol.too_large, nothing more is sent.
	headersTooLarge atomic.Bool
	replay          *replayed // the answer to the first POST, already had (see replayed)

	mu        sync.Mutex
	firstReq  time.Time // when the first request of the check started
	firstConn time.Time // when the first connection was ready; zero = never connected
	last      exchange
	first401  *exchange // see exchange.Unauthorized
}

// replayed is an exchange the lean client already had (lean.go): the first
// POST of the mcp-go session that carries its session on is answered with
// it instead of being sent again.
type replayed struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// Read keeps what the lean client read of the answer, for the replay.
type teeBody struct {
	io.ReadCloser
	into *[]byte
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	*t.into = append(*t.into, p[:n]...)
	return n, err
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if rp := r.replay; rp != nil && req.Method == http.MethodPost {
		r.replay = nil // mcp-go sends its requests one at a time
		if rp.err != nil {
			return r.observe(req, nil, rp.err), rp.err
		}
		resp := &http.Response{Status: strconv.Itoa(rp.status) + " " + http.StatusText(rp.status), StatusCode: rp.status,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: rp.header, ContentLength: -1,
			Body: io.NopCloser(bytes.NewReader(rp.body)), Request: req}
		return r.observe(req, resp, nil), nil
	}
	req = req.Clone(req.Context())
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	if r.auth != nil {
		if name, value := r.auth(); name != "" {
			req.Header.Set(name, value)
		}
	}
	r.started()
	trace := &httptrace.ClientTrace{GotConn: r.gotConn}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := r.base.RoundTrip(req)
	return r.observe(req, resp, err), err
}

// started notes the start of a request (the first one starts the connect stage).
func (r *recorder) started() {
	r.mu.Lock()
	if r.firstReq.IsZero() {
		r.firstReq = time.Now()
	}
	r.mu.Unlock()
}

// gotConn is an httptrace hook: the first connection ends the connect stage.
func (r *recorder) gotConn(httptrace.GotConnInfo) { r.connReady() }

// connReady notes a connection made.
func (r *recorder) connReady() {
	r.mu.Lock()
	if r.firstConn.IsZero() {
		r.firstConn = time.Now()
	}
	r.mu.Unlock()
}

// observe records the exchange of req and bounds resp's body (nil when err).
func (r *recorder) observe(req *http.Request, resp *http.Response, err error) *http.Response {
	ex := exchange{Method: req.Method}
	if err == nil {
		ex.Status = resp.StatusCode
		ex.ContentType = mediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			ex.WWWAuth = strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
		}
		if r.max > 0 {
			resp.Body = &boundedBody{rc: resp.Body, max: r.max, sse: ex.ContentType == "text/event-stream", tripped: &r.tooLarge}
		}
	}
	if req.Method != http.MethodDelete { // the polite goodbye never decides the verdict
		r.mu.Lock()
		r.last = ex
		switch {
		case ex.Status == http.StatusUnauthorized && r.first401 == nil:
			r.first401 = &ex
		case ex.Status >= 200 && ex.Status < 300:
			r.first401 = nil
		}
		r.mu.Unlock()
	}
	return resp
}

// mediaType is mime.ParseMediaType's media type of v, without parsing
// (and allocating for) the two every MCP answer carries.
func mediaType(v string) string {
	switch v {
	case "application/json", "text/event-stream":
		return v
	}
	t, _, _ := mime.ParseMediaType(v)
	return t
}

// lastExchange is the last exchange, with the first unanswered 401 before it (if any).
func (r *recorder) lastExchange() exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	ex := r.last
	if r.first401 != nil && ex.Status != http.StatusUnauthorized {
		u := *r.first401
		ex.Unauthorized = &u
	}
	return ex
}

// connected reports whether any connection was established, and when the
// first one was ready relative to the first request.
func (r *recorder) connected() (ok bool, connectTime time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstConn.IsZero() {
		return false, 0
	}
	return true, r.firstConn.Sub(r.firstReq)
}
