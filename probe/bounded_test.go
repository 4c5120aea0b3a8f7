package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// bomb streams the response to method for as long as the client reads,
// counting what it managed to send: the bound held is what the client took.
type bomb struct {
	sent atomic.Int64
}

func (b *bomb) handler(next http.Handler, method, contentType, head, chunk string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, _ := peek(r); m != method {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		n, _ := io.WriteString(w, head)
		b.sent.Add(int64(n))
		for r.Context().Err() == nil {
			n, err := io.WriteString(w, chunk)
			b.sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
}

const testMaxMessage = 64 << 10

// boundedFaultRows: every read from a server is bounded by max_message_size;
// a bomb costs one verdict and a bounded number of bytes, never the process.
func boundedFaultRows() []faultRow {
	small := func(f *fixture, h http.Handler) config.Server {
		s := f.server(serve(f.t, h).URL)
		s.MaxMessageSize = testMaxMessage
		return s
	}
	bounded := func(b *bomb) func(t *testing.T, f *fixture, r Result) {
		return func(t *testing.T, f *fixture, r Result) {
			contains(t, r.Message, "over 64 KiB")
			// What the peer got into the socket before it was closed: the
			// limit plus what the kernel and net/http buffer, never the stream.
			if n := b.sent.Load(); n > 16<<20 {
				t.Fatalf("peer sent %d bytes before the check gave up", n)
			}
			if r.Total > 2*time.Second {
				t.Fatalf("check took %v, longer than its timeout", r.Total)
			}
		}
	}
	endlessSSE, endlessJSON, endlessSpace := &bomb{}, &bomb{}, &bomb{}
	var headerBytes atomic.Int64
	var headerPeer *rawPeer
	return []faultRow{
		{name: "endless response headers", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.too_large",
			setup: func(f *fixture) config.Server {
				headerPeer = startRawPeer(f.t, func(p *rawPeer, c net.Conn, br *bufio.Reader, _ int) {
					if !p.read(br) {
						return
					}
					line := "X-Pad: " + strings.Repeat("h", 1000) + "\r\n"
					n, _ := io.WriteString(c, "HTTP/1.1 200 OK\r\n")
					for {
						m, err := io.WriteString(c, line)
						headerBytes.Add(int64(n + m))
						if n = 0; err != nil {
							return
						}
					}
				})
				return f.server(headerPeer.url.String())
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "answer headers over 256 KiB")
				// One request: the answer is not handed to mcp-go, whose
				// Transport would ask again and take 10 MB of headers.
				if n, sent := headerPeer.requests.Load(), headerBytes.Load(); n != 1 || sent > 16<<20 {
					t.Fatalf("peer read %d requests and sent %d bytes of headers", n, sent)
				}
			}},
		{name: "endless SSE event", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.too_large",
			setup: func(f *fixture) config.Server {
				return small(f, endlessSSE.handler(streamableHandler("x"), "server/discover", "text/event-stream",
					"event: message\ndata: ", strings.Repeat("A", 8<<10)))
			},
			more: bounded(endlessSSE)},
		{name: "endless JSON body", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.too_large",
			setup: func(f *fixture) config.Server {
				return small(f, endlessJSON.handler(streamableHandler("x"), "server/discover", "application/json",
					`{"jsonrpc":"2.0","id":1,"result":{"x":"`, strings.Repeat("B", 8<<10)))
			},
			more: bounded(endlessJSON)},
		{name: "endless whitespace before the JSON", status: StatusUnhealthy, stage: StageLiveness, class: "protocol.too_large",
			setup: func(f *fixture) config.Server {
				return small(f, endlessSpace.handler(legacyOnly(streamableHandler("x")), "ping", "application/json",
					"", strings.Repeat(" ", 8<<10)))
			},
			more: bounded(endlessSpace)},
		{name: "many small SSE events add up past the limit: each is bounded, not the stream", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				inner := legacyOnly(streamableHandler("chatty"))
				return small(f, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					m, _ := peek(r)
					if m != "ping" {
						inner.ServeHTTP(w, r)
						return
					}
					w.Header().Set("Content-Type", "text/event-stream")
					note := `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"` + strings.Repeat("n", 1<<10) + `"}}`
					for range 200 { // 200 KiB of notifications before the answer
						fmt.Fprintf(w, "event: message\ndata: %s\n\n", note)
					}
					fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{}}\n\n", idOf(r))
				}))
			},
			more: func(t *testing.T, f *fixture, r Result) { want(t, "liveness", r.LivenessMethod, "ping") }},
		{name: "stdio server writing one endless line", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.too_large",
			setup: func(f *fixture) config.Server {
				s := f.stdio(stdioHugeLine)
				s.MaxMessageSize = testMaxMessage
				return s
			}},
	}
}

// FuzzBoundedSSE: the SSE bound trips exactly when one event (the bytes
// between blank lines, line ends not counted) is longer than the limit,
// and what it lets through is the stream, unchanged, up to that point.
func FuzzBoundedSSE(f *testing.F) {
	f.Add([]byte("data: a\n\ndata: b\r\n\r\n"), uint16(4))
	f.Add([]byte("data: aaaaaaaaaa\n"), uint16(4))
	f.Add([]byte("a\rb\r\rc\n\r\nd"), uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, max uint16) {
		limit := int64(max%64) + 1
		var tripped atomic.Bool
		b := &boundedBody{rc: io.NopCloser(strings.NewReader(string(in))), max: limit, sse: true, tripped: &tripped}
		out, err := io.ReadAll(b)
		if !strings.HasPrefix(string(in), string(out)) {
			t.Fatalf("output is not a prefix of the input")
		}
		over := false
		norm := strings.ReplaceAll(strings.ReplaceAll(string(in), "\r\n", "\n"), "\r", "\n")
		for _, ev := range strings.Split(norm, "\n\n") {
			if int64(len(strings.ReplaceAll(ev, "\n", ""))) > limit {
				over = true
			}
		}
		if over != tripped.Load() || over != (err != nil) {
			t.Fatalf("limit %d: over=%v tripped=%v err=%v for %q", limit, over, tripped.Load(), err, in)
		}
		if !over && string(out) != string(in) {
			t.Fatal("a stream within the limit was changed")
		}
	})
}

// A whole body is cut at exactly max bytes, however the reads fall; a
// body of max bytes or fewer passes unchanged.
func TestBoundedWholeBody(t *testing.T) {
	in := strings.Repeat("0123456789", 10)
	for _, limit := range []int64{1, 7, 99, 100, 101} {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r }, "bytes": iotest.OneByteReader, "halves": iotest.HalfReader,
		} {
			var tripped atomic.Bool
			b := &boundedBody{rc: io.NopCloser(wrap(strings.NewReader(in))), max: limit, tripped: &tripped}
			out, err := io.ReadAll(b)
			over := int64(len(in)) > limit
			want := in[:min(int64(len(in)), limit)]
			if string(out) != want || over != tripped.Load() || over != errors.Is(err, errTooLarge) {
				t.Errorf("limit %d, %s reads: %d bytes, tripped %v, err %v", limit, name, len(out), tripped.Load(), err)
			}
		}
	}
}
