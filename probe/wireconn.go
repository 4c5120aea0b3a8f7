package probe

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
)

// wireConn is the lean client's HTTP/1.1 round tripper for plain http: one
// connection, one request at a time, kept for the check's requests and
// closed after, as the per-check http.Transport used it. It writes each
// request and reads each answer with net/http's own framing (Request.Write,
// ReadResponse) but without the Transport's connection pool, its two
// goroutines per connection and their channels: that machinery was a
// quarter of a probe's CPU (docs/performance-history.md, "The wire").
//
// What the Transport did for a lean session that this keeps: the same
// dialer; the connect hook (the connect stage's end); headers checked as the
// Transport checks them; Accept-Encoding: gzip, and a gzipped answer
// decompressed (servers see the requests they saw before); at most 5 informational (1xx) answers before the
// answer; a connection closed when the server asks (Connection: close), when
// an answer is left unread, and on any error; the context's deadline and
// cancellation on every read and write; a request that finds a reused
// connection closed by the server before any answer is sent once more on a
// fresh one (the Transport's pool dropped such a connection before use;
// the lean client's requests, discover and lists, only read, so a server
// that took one and died before answering is safely asked again).
// Answer headers are bounded (maxWireHeader); bodies by the recorder.
type wireConn struct {
	addr    string
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	gotConn func() // the first connection ends the connect stage
	// headersTooLarge, when set, is raised when an answer's headers pass
	// maxWireHeader (the recorder's, for the verdict).
	headersTooLarge *atomic.Bool

	conn   net.Conn
	bufs   *wireBuf // br and bw, from wireBufs
	br     *bufio.Reader
	bw     *bufio.Writer
	lim    limitedConn
	reused bool      // conn carried an answer already
	body   *wireBody // the last answer's body until read to its end or closed
}

// maxWireHeader bounds an answer's status line and headers. The Transport's
// default is 10 MB; an MCP answer's headers are well under 1 KB.
const maxWireHeader = 256 << 10

// errWireHeader is the answer whose headers passed maxWireHeader.
var errWireHeader = fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", maxWireHeader)

// wireBufs are the readers and writers of wire connections: 1 KB each, as
// the Transport was set up for these checks (baseTransport).
var wireBufs = sync.Pool{New: func() any {
	return &wireBuf{r: bufio.NewReaderSize(nil, 1<<10), w: bufio.NewWriterSize(nil, 1<<10)}
}}

type wireBuf struct {
	r *bufio.Reader
	w *bufio.Writer
}

// wireEligible: the lean client may use a wireConn for u: plain http that
// proxy (the Transport's rule, baseTransport) sends no proxy.
func wireEligible(u *url.URL, proxy func(*http.Request) (*url.URL, error)) bool {
	if u == nil || u.Scheme != "http" || u.Host == "" {
		return false
	}
	p, err := proxy(&http.Request{URL: u})
	return err == nil && p == nil
}

func newWireConn(u *url.URL, gotConn func()) *wireConn {
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &wireConn{addr: addr, dial: dialer.DialContext, gotConn: gotConn}
}

// RoundTrip sends req on the connection (dialled when there is none) and
// reads its answer's status and headers.
func (w *wireConn) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := validHeaders(req.Header); err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	if w.body != nil { // the last answer was left unread: the connection cannot carry another
		w.Close()
	}
	// As the Transport: ask for gzip unless the request said otherwise,
	// and hand back the answer decompressed (bounded as it is read).
	gz := req.Method != http.MethodHead && req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == ""
	if gz {
		req.Header["Accept-Encoding"] = acceptGzip
	}
	for retried := false; ; retried = true {
		resp, err, again := w.once(ctx, req, retried, gz)
		if !again {
			return resp, err
		}
		if req.GetBody == nil {
			return nil, err
		}
		body, gerr := req.GetBody()
		if gerr != nil {
			return nil, err
		}
		req.Body = body
	}
}

// once is one try of req; again: it found a reused connection closed before
// any answer, and may be sent once more on a fresh one.
func (w *wireConn) once(ctx context.Context, req *http.Request, retried, gz bool) (resp *http.Response, err error, again bool) {
	if w.conn == nil {
		if err := w.connect(ctx); err != nil {
			closeBody(req)
			return nil, err, false
		}
	}
	if w.reused && w.br.Buffered() > 0 { // bytes nobody asked for: the Transport dropped such a connection
		w.Close()
		if err := w.connect(ctx); err != nil {
			closeBody(req)
			return nil, err, false
		}
	}
	reused := w.reused
	stop := w.bind(ctx)
	// fail ends the connection; again (a reused connection the server
	// closed, met before any answer) lets RoundTrip try a fresh one.
	fail := func(err error, again bool) (*http.Response, error, bool) {
		stop()
		w.Close()
		again = again && reused && !retried && ctx.Err() == nil
		if !again {
			err = ctxErr(ctx, err)
		}
		return nil, err, again
	}
	if err := req.Write(w.bw); err != nil {
		return fail(err, true)
	}
	if err := w.bw.Flush(); err != nil {
		return fail(err, true)
	}
	w.lim.left, w.lim.over = maxWireHeader, false
	for range 6 { // the answer, after at most 5 informational ones (the Transport's limit)
		resp, err = http.ReadResponse(w.br, req)
		if err != nil {
			if w.lim.over {
				err = errWireHeader
				if w.headersTooLarge != nil {
					w.headersTooLarge.Store(true)
				}
			}
			return fail(err, w.lim.left == maxWireHeader && closedByPeer(err))
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp = nil
	}
	w.lim.left = -1 // bodies are bounded by the recorder
	if resp == nil {
		return fail(errors.New("net/http: too many 1xx informational responses"), false)
	}
	b := &wireBody{w: w, rc: resp.Body, ctx: ctx, stop: stop, close: resp.Close || req.Close}
	if resp.Body == http.NoBody {
		b.finish(nil)
	} else {
		w.body = b
		resp.Body = b
		if gz && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
			resp.Header.Del("Content-Encoding")
			resp.Header.Del("Content-Length")
			resp.ContentLength, resp.Uncompressed = -1, true
			resp.Body = &gzipBody{body: b}
		}
	}
	w.reused = true
	return resp, nil, false
}

// ctxErr is err, or the context's error when the context ended the wait
// (the connection's deadline may pass a moment before the context's timer).
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if d, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return err
}

// closedByPeer: the server closed the connection without answering.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (w *wireConn) connect(ctx context.Context) error {
	c, err := w.dial(ctx, "tcp", w.addr)
	if err != nil {
		return err
	}
	if w.gotConn != nil {
		w.gotConn()
	}
	bufs := wireBufs.Get().(*wireBuf)
	w.conn, w.bufs, w.reused = c, bufs, false
	w.lim = limitedConn{c: c, left: -1}
	bufs.r.Reset(&w.lim)
	bufs.w.Reset(c)
	w.br, w.bw = bufs.r, bufs.w
	return nil
}

// bind puts ctx's deadline and cancellation on the connection until stop.
func (w *wireConn) bind(ctx context.Context) (stop func()) {
	c := w.conn
	d, _ := ctx.Deadline()
	_ = c.SetDeadline(d)
	if ctx.Done() == nil {
		return func() {}
	}
	after := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return func() { after() }
}

// Close closes the connection (the next request dials a new one).
func (w *wireConn) Close() {
	if b := w.body; b != nil { // an answer still open ends here
		w.body = nil
		b.done, b.err = true, net.ErrClosed
		b.stop()
	}
	if w.conn == nil {
		return
	}
	_ = w.conn.Close()
	w.bufs.r.Reset(nil)
	w.bufs.w.Reset(nil)
	wireBufs.Put(w.bufs)
	w.conn, w.bufs, w.br, w.bw, w.reused = nil, nil, nil, nil, false
}

// CloseIdleConnections is the Transport's name for the end of a check.
func (w *wireConn) CloseIdleConnections() { w.Close() }

// wireBody is an answer's body: read to its end it leaves the connection
// for the next request (unless either side asked to close); closed before,
// or failing, it takes the connection with it.
type wireBody struct {
	w     *wireConn
	rc    io.ReadCloser
	ctx   context.Context
	stop  func()
	close bool
	done  bool
	err   error // what ended it early
}

func (b *wireBody) Read(p []byte) (int, error) {
	if b.done {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finish(nil)
	case err != nil:
		err = ctxErr(b.ctx, err)
		b.finish(err)
	}
	return n, err
}

func (b *wireBody) Close() error {
	if !b.done {
		b.finish(errBodyLeft)
	}
	return nil
}

// errBodyLeft ends an answer closed before its end (the connection goes).
var errBodyLeft = errors.New("answer left unread")

// finish ends the answer: the connection stays only after a clean end.
func (b *wireBody) finish(err error) {
	b.done, b.err = true, err
	b.stop()
	w := b.w
	if w.body == b {
		w.body = nil
	}
	if err != nil || b.close {
		w.Close()
	}
}

var acceptGzip = []string{"gzip"}

// gzipBody decompresses an answer the server gzipped, the reader made on
// the first read (as the Transport's). Read to its end, it has read the
// answer's body to its end.
type gzipBody struct {
	body io.ReadCloser
	zr   *gzip.Reader
	err  error
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		g.zr, g.err = gzip.NewReader(g.body)
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.zr.Read(p)
}

func (g *gzipBody) Close() error { return g.body.Close() }

// limitedConn reads from c, at most left bytes while left >= 0 (the
// answer's headers; -1 is no bound); past it, reads fail and over is set.
type limitedConn struct {
	c    net.Conn
	left int
	over bool
}

func (l *limitedConn) Read(p []byte) (int, error) {
	if l.left < 0 {
		return l.c.Read(p)
	}
	if l.left == 0 {
		l.over = true
		return 0, errWireHeader
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.c.Read(p)
	l.left -= n
	return n, err
}

// validHeaders refuses what the Transport refuses to send.
func validHeaders(h http.Header) error {
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("net/http: invalid header field value for %q", k)
			}
		}
	}
	return nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
