package probe

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawPeer is a hostile HTTP/1.1 server written byte by byte: serve runs
// for each accepted connection (its number counts from 0) and writes what
// it likes after reading each request.
type rawPeer struct {
	url      *url.URL
	accepts  atomic.Int32
	requests atomic.Int32
	mu       sync.Mutex
	seen     []*http.Request // the requests read, bodies drained
}

func startRawPeer(t *testing.T, serve func(p *rawPeer, conn net.Conn, br *bufio.Reader, n int)) *rawPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPeer{url: &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/mcp"}}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(p.accepts.Add(1)) - 1
			wg.Go(func() {
				defer c.Close()
				serve(p, c, bufio.NewReader(c), n)
			})
		}
	})
	return p
}

// read reads one request, or reports false when the client went away.
func (p *rawPeer) read(br *bufio.Reader) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, req.Body)
	p.requests.Add(1)
	p.mu.Lock()
	p.seen = append(p.seen, req)
	p.mu.Unlock()
	return true
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

// answerAll answers every request on every connection with okAnswer.
func answerAll(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
	for p.read(br) {
		_, _ = io.WriteString(c, okAnswer)
	}
}

func wireReq(t *testing.T, ctx context.Context, u *url.URL) *http.Request {
	t.Helper()
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// wireGet sends one request and reads its answer to the end.
func wireGet(t *testing.T, w *wireConn, ctx context.Context, u *url.URL) (string, error) {
	t.Helper()
	resp, err := w.RoundTrip(wireReq(t, ctx, u))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func newTestWire(u *url.URL) (*wireConn, *atomic.Int32) {
	var conns atomic.Int32
	w := newWireConn(u, func() { conns.Add(1) })
	return w, &conns
}

func TestWireKeepsTheConnection(t *testing.T) {
	p := startRawPeer(t, answerAll)
	w, conns := newTestWire(p.url)
	defer w.Close()
	for i := range 3 {
		if body, err := wireGet(t, w, t.Context(), p.url); err != nil || body != "{}" {
			t.Fatalf("request %d: %q %v", i, body, err)
		}
	}
	if p.accepts.Load() != 1 || conns.Load() != 1 {
		t.Fatalf("three requests took %d connections (%d reported), want one", p.accepts.Load(), conns.Load())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if got := p.seen[0].Header.Get("Accept-Encoding"); got != "gzip" {
		t.Fatalf("Accept-Encoding %q, want gzip as the Transport sends", got)
	}
}

// A server that says Connection: close, or closes its side after an answer
// without saying so, gets the next request on a new connection.
func TestWireNewConnectionAfterClose(t *testing.T) {
	for name, serve := range map[string]func(*rawPeer, net.Conn, *bufio.Reader, int){
		"Connection: close": func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
			if p.read(br) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
			}
		},
		"silent close": func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
			if p.read(br) {
				_, _ = io.WriteString(c, okAnswer)
			}
		},
		"reset": func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
			if p.read(br) {
				_, _ = io.WriteString(c, okAnswer)
			}
			if p.read(br) { // read the next request, then reset without an answer
				_ = c.(*net.TCPConn).SetLinger(0)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := startRawPeer(t, serve)
			w, _ := newTestWire(p.url)
			defer w.Close()
			for i := range 2 {
				if i == 1 && name == "silent close" {
					time.Sleep(20 * time.Millisecond) // the server's FIN arrives first
				}
				if body, err := wireGet(t, w, t.Context(), p.url); err != nil || body != "{}" {
					t.Fatalf("request %d: %q %v", i, body, err)
				}
			}
			if p.accepts.Load() != 2 {
				t.Fatalf("%d connections, want 2", p.accepts.Load())
			}
		})
	}
}

// A fresh connection that fails is not tried again: only a reused one may
// have been closed by the server between requests.
func TestWireTriesOnceMore(t *testing.T) {
	p := startRawPeer(t, func(p *rawPeer, c net.Conn, br *bufio.Reader, n int) {
		if n == 0 && p.read(br) {
			_, _ = io.WriteString(c, okAnswer)
		}
		p.read(br) // then every request is read and dropped
	})
	w, _ := newTestWire(p.url)
	defer w.Close()
	if _, err := wireGet(t, w, t.Context(), p.url); err != nil {
		t.Fatal(err)
	}
	_, err := wireGet(t, w, t.Context(), p.url)
	if err == nil || !closedByPeer(err) {
		t.Fatalf("err %v, want the peer's close", err)
	}
	// first answer, the second request on the reused connection, then once on a fresh one
	if got := p.requests.Load(); got != 3 || p.accepts.Load() != 2 {
		t.Fatalf("%d requests on %d connections, want 3 on 2", got, p.accepts.Load())
	}
}

func TestWireBoundsHeaders(t *testing.T) {
	p := startRawPeer(t, func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
		if !p.read(br) {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
		for range 2 * maxWireHeader / len(line) {
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
	})
	w, _ := newTestWire(p.url)
	defer w.Close()
	if _, err := wireGet(t, w, t.Context(), p.url); !errors.Is(err, errWireHeader) {
		t.Fatalf("err %v, want %v", err, errWireHeader)
	}
	if w.conn != nil {
		t.Fatal("the connection outlived a broken answer")
	}
}

func TestWireInformationalAnswers(t *testing.T) {
	for _, tc := range []struct {
		n    int
		fail bool
	}{{2, false}, {5, false}, {6, true}} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			p := startRawPeer(t, func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
				if p.read(br) {
					_, _ = io.WriteString(c, strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", tc.n)+okAnswer)
				}
			})
			w, _ := newTestWire(p.url)
			defer w.Close()
			body, err := wireGet(t, w, t.Context(), p.url)
			if tc.fail != (err != nil) || !tc.fail && body != "{}" {
				t.Fatalf("%d 1xx answers: %q %v", tc.n, body, err)
			}
		})
	}
}

// An answer left unread, or bytes nobody asked for after an answer, cost
// the connection: the next request must not read them as its answer.
func TestWireLeftoversTakeTheConnection(t *testing.T) {
	for name, tc := range map[string]struct {
		answer string
		read   bool
	}{
		"unread body":   {"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}{}", false},
		"trailing junk": {okAnswer + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlies!", true},
	} {
		t.Run(name, func(t *testing.T) {
			p := startRawPeer(t, func(p *rawPeer, c net.Conn, br *bufio.Reader, n int) {
				for p.read(br) {
					if n == 0 {
						_, _ = io.WriteString(c, tc.answer)
					} else {
						_, _ = io.WriteString(c, okAnswer)
					}
				}
			})
			w, _ := newTestWire(p.url)
			defer w.Close()
			resp, err := w.RoundTrip(wireReq(t, t.Context(), p.url))
			if err != nil {
				t.Fatal(err)
			}
			if tc.read {
				_, _ = io.ReadAll(resp.Body)
				time.Sleep(20 * time.Millisecond) // the junk arrives
			}
			_ = resp.Body.Close()
			if body, err := wireGet(t, w, t.Context(), p.url); err != nil || body != "{}" {
				t.Fatalf("second answer %q %v, want {} on a new connection", body, err)
			}
			if p.accepts.Load() != 2 {
				t.Fatalf("%d connections, want 2", p.accepts.Load())
			}
		})
	}
}

// The context's deadline and cancellation end a wait for the headers or the
// body with the context's error, and take the connection.
func TestWireContextEndsWaits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   string
		deadline bool
	}{
		{"headers, deadline", "", true},
		{"headers, cancelled", "", false},
		{"body, deadline", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{", true},
		{"body, cancelled", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hang := make(chan struct{})
			p := startRawPeer(t, func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
				if p.read(br) {
					_, _ = io.WriteString(c, tc.answer)
					<-hang
				}
			})
			t.Cleanup(func() { close(hang) }) // before the peer's own cleanup waits for it
			w, _ := newTestWire(p.url)
			defer w.Close()
			ctx, cancel := context.WithCancel(t.Context())
			want := context.Canceled
			if tc.deadline {
				ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
				want = context.DeadlineExceeded
			} else {
				time.AfterFunc(50*time.Millisecond, cancel)
			}
			defer cancel()
			_, err := wireGet(t, w, ctx, p.url)
			if !errors.Is(err, want) {
				t.Fatalf("err %v, want %v", err, want)
			}
			if w.conn != nil {
				t.Fatal("the connection outlived the context")
			}
		})
	}
}

// A header value the Transport would refuse (a token with a line break, as
// a hostile token endpoint may hand out) is refused before anything is sent,
// and the error names the header, not its value.
func TestWireRefusesBadHeaders(t *testing.T) {
	p := startRawPeer(t, answerAll)
	w, _ := newTestWire(p.url)
	defer w.Close()
	req := wireReq(t, t.Context(), p.url)
	req.Header["Authorization"] = []string{"Bearer secret-tok\r\nX-Injected: 1"}
	_, err := w.RoundTrip(req)
	if err == nil || strings.Contains(err.Error(), "secret-tok") || !strings.Contains(err.Error(), "Authorization") {
		t.Fatalf("err %v, want a refusal naming the header only", err)
	}
	if p.accepts.Load() != 0 {
		t.Fatal("a connection was made for a request that could not be sent")
	}
}

// A gzipped answer is read decompressed, chunked or not, on a kept
// connection and on one a retry made (the retry still asked for gzip
// itself, so it still decompresses).
func TestWireGzip(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = io.WriteString(zw, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	_ = zw.Close()
	answer := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n",
		zipped.Len(), zipped.Bytes())
	for name, tc := range map[string]struct {
		perConn int32 // answers a connection gives before the server closes it (0: all)
		conns   int32
	}{"kept": {0, 1}, "retried": {1, 2}} {
		t.Run(name, func(t *testing.T) {
			p := startRawPeer(t, func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
				for n := int32(0); (tc.perConn == 0 || n < tc.perConn) && p.read(br); n++ {
					_, _ = io.WriteString(c, answer)
				}
			})
			w, _ := newTestWire(p.url)
			defer w.Close()
			for i := range 2 {
				if body, err := wireGet(t, w, t.Context(), p.url); err != nil || body != `{"jsonrpc":"2.0","id":1,"result":{}}` {
					t.Fatalf("answer %d: %q %v", i, body, err)
				}
			}
			if p.accepts.Load() != tc.conns {
				t.Fatalf("%d connections, want %d", p.accepts.Load(), tc.conns)
			}
		})
	}
}

func TestWireEligible(t *testing.T) {
	none := func(*http.Request) (*url.URL, error) { return nil, nil }
	proxy := func(*http.Request) (*url.URL, error) { return url.Parse("http://proxy.example:3128") }
	for _, tc := range []struct {
		raw   string
		proxy func(*http.Request) (*url.URL, error)
		want  bool
	}{
		{"http://127.0.0.1:8080/mcp", none, true},
		{"http://127.0.0.1:8080/mcp", proxy, false},
		{"https://127.0.0.1:8080/mcp", none, false},
	} {
		u, _ := url.Parse(tc.raw)
		if got := wireEligible(u, tc.proxy); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.raw, got, tc.want)
		}
	}
	if w := newWireConn(&url.URL{Scheme: "http", Host: "[::1]"}, nil); w.addr != "[::1]:80" {
		t.Errorf("addr %q, want the default port", w.addr)
	}
}
