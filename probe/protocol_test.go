package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

// Peers that lie or negotiate the way servers we did not write do. Each
// answers some JSON-RPC methods itself and passes the rest to a real mcp-go
// server.

// oldVersionsOnly is a server of the initialize era that answers
// server/discover listing only the versions given (as the official Go SDK's
// stateful server does) and, like it, refuses requests that declare a
// stateless-era protocol version with HTTP 400.
func oldVersionsOnly(next http.Handler, versions ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, _ := peek(r)
		switch {
		case method == "server/discover":
			answerRaw(w, r, fmt.Sprintf(`{"supportedVersions":%s,"capabilities":{"tools":{}},"serverInfo":{"name":"old","version":"1"}}`, jsonOf(versions)), "")
		case r.Header.Get("MCP-Protocol-Version") == "2026-07-28":
			http.Error(w, "Bad Request: unsupported protocol version", http.StatusBadRequest)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// rejectsFirstDiscover answers the first server/discover with HTTP 400 and a
// -32022 error listing supported, as the conformance suite's request-metadata
// scenario does, and serves everything after that.
func rejectsFirstDiscover(next http.Handler, supported ...string) http.Handler {
	var done atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if method, _ := peek(r); method == "server/discover" && done.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":%s,"requested":"2026-07-28"}}}`,
				idOf(r), jsonOf(supported))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// lies answers method with body, a whole JSON-RPC response in which %ID% is
// replaced by the request's id, and passes everything else to next.
func lies(next http.Handler, method, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, _ := peek(r); m == method {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, strings.ReplaceAll(body, "%ID%", idOf(r)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// peek reads the JSON-RPC method and id of a POST and leaves the body in place.
func peek(r *http.Request) (method string, id json.RawMessage) {
	if r.Method != http.MethodPost {
		return "", nil
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	_ = json.Unmarshal(body, &msg)
	return msg.Method, msg.ID
}

func idOf(r *http.Request) string {
	_, id := peek(r)
	if len(id) == 0 {
		return "null"
	}
	return string(id)
}

func answerRaw(w http.ResponseWriter, r *http.Request, result, rpcErr string) {
	w.Header().Set("Content-Type", "application/json")
	if rpcErr != "" {
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":%s}`, idOf(r), rpcErr)
		return
	}
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, idOf(r), result)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// wire records the HTTP method, and for POSTs the JSON-RPC method, of every
// request a peer receives, so tests can count what a check spends.
type wire struct {
	mu   sync.Mutex
	seen []string
}

func (w *wire) around(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		m, _ := peek(r)
		w.mu.Lock()
		w.seen = append(w.seen, strings.TrimSpace(r.Method+" "+m))
		w.mu.Unlock()
		next.ServeHTTP(rw, r)
	})
}

// take returns what was seen since the last take.
func (w *wire) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.seen
	w.seen = nil
	return s
}

func count(seen []string, what string) int {
	n := 0
	for _, s := range seen {
		if s == what {
			n++
		}
	}
	return n
}

// protocolFaultRows are the fault-matrix rows for era negotiation and for
// protocol lies that mcp-go alone would let through as healthy.
func protocolFaultRows() []faultRow {
	initializeEra := func(version, liveness string) func(t *testing.T, f *fixture, r Result) {
		return func(t *testing.T, f *fixture, r Result) {
			want(t, "protocol", r.ProtocolVersion, version)
			want(t, "era", r.Era, EraInitialize)
			want(t, "liveness", r.LivenessMethod, liveness)
		}
	}
	legacy := func(f *fixture, h http.Handler) config.Server { return f.server(serve(f.t, legacyOnly(h)).URL) }
	return []faultRow{
		{name: "discover listing only initialize-era versions gets the initialize handshake (official Go SDK)", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, oldVersionsOnly(streamableHandler("gosdk-like"), "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")).URL)
			},
			more: initializeEra("2025-11-25", "ping")},
		{name: "initialize offers the highest version both sides listed", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, oldVersionsOnly(streamableHandler("older"), "2025-06-18", "2025-03-26")).URL)
			},
			more: initializeEra("2025-06-18", "ping")},
		{name: "-32022 on discover listing the version sent: retried once, stateless era", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, rejectsFirstDiscover(streamableHandler("picky"), "2026-07-28")).URL)
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "protocol", r.ProtocolVersion, "2026-07-28")
				want(t, "era", r.Era, EraStateless)
				want(t, "server name", r.ServerName, "picky")
			}},
		{name: "-32022 on discover listing only older versions: initialize with one of them", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, rejectsFirstDiscover(legacyOnly(streamableHandler("older")), "2025-03-26")).URL)
			},
			more: initializeEra("2025-03-26", "ping")},
		{name: "response id differs from the request's", status: StatusUnhealthy, stage: StageLiveness, class: "protocol.jsonrpc",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "ping", `{"jsonrpc":"2.0","id":9999,"result":{}}`))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "response id 9999 does not match request id")
			}},
		{name: "string id answering a numeric one", status: StatusUnhealthy, stage: StageLiveness, class: "protocol.jsonrpc",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "ping", `{"jsonrpc":"2.0","id":"%ID%","result":{}}`))
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, `response id "`) }},
		{name: `"jsonrpc": "1.0"`, status: StatusUnhealthy, stage: StageLiveness, class: "protocol.jsonrpc",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "ping", `{"jsonrpc":"1.0","id":%ID%,"result":{}}`))
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, `"jsonrpc" is "1.0"`) }},
		{name: "ping answer with neither result nor error", status: StatusUnhealthy, stage: StageLiveness, class: "protocol.jsonrpc",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "ping", `{"jsonrpc":"2.0","id":%ID%}`))
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "neither a result nor an error") }},
		{name: "answer with both result and error", status: StatusUnhealthy, stage: StageLiveness, class: "protocol.jsonrpc",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "ping", `{"jsonrpc":"2.0","id":%ID%,"result":{},"error":{"code":1,"message":"x"}}`))
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "both a result and an error") }},
		{name: "lie in the discover answer is not swallowed by the initialize fallback", status: StatusUnhealthy, stage: StageHandshake,
			class: "protocol.jsonrpc",
			setup: func(f *fixture) config.Server {
				return f.server(serve(f.t, lies(streamableHandler("x"), "server/discover", `{"jsonrpc":"2.0","id":424242,"result":{}}`)).URL)
			}},
		{name: "initialize answers a stateless-era version", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.version",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "initialize",
					`{"jsonrpc":"2.0","id":%ID%,"result":{"protocolVersion":"2026-07-28","capabilities":{},"serverInfo":{"name":"x","version":"1"}}}`))
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, `"2026-07-28", which mcpwatch never offered`)
			}},
		{name: "initialize answers a newer version than offered", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.version",
			setup: func(f *fixture) config.Server {
				inner := lies(streamableHandler("x"), "initialize",
					`{"jsonrpc":"2.0","id":%ID%,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"x","version":"1"}}}`)
				return f.server(serve(f.t, oldVersionsOnly(inner, "2025-03-26")).URL)
			},
			more: func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "(offered 2025-03-26)") }},
		{name: "initialize result without serverInfo", status: StatusUnhealthy, stage: StageHandshake, class: "protocol.initialize",
			setup: func(f *fixture) config.Server {
				return legacy(f, lies(streamableHandler("x"), "initialize",
					`{"jsonrpc":"2.0","id":%ID%,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}`))
			}},
		{name: "explicit http against a legacy SSE endpoint says to try sse", status: StatusUnhealthy, stage: StageHandshake, class: "http.405",
			setup: func(f *fixture) config.Server { return f.server(sseServer(f.t, "sse")) },
			more:  func(t *testing.T, f *fixture, r Result) { contains(t, r.Message, "try transport: sse") }},
		{name: "transport auto finds a legacy HTTP+SSE server", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				s := f.server(sseServer(f.t, "sse"))
				s.Transport = config.TransportAuto
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "transport", r.Transport, config.TransportSSE)
				want(t, "server name", r.ServerName, "sse")
				want(t, "liveness", r.LivenessMethod, "ping")
			}},
		{name: "transport auto on a modern server stays on streamable HTTP", status: StatusHealthy,
			setup: func(f *fixture) config.Server {
				s := f.server(serve(f.t, streamableHandler("modern")).URL)
				s.Transport = config.TransportAuto
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				want(t, "transport", r.Transport, config.TransportHTTP)
				want(t, "era", r.Era, EraStateless)
			}},
		{name: "transport auto where neither transport answers reports the HTTP answer", status: StatusUnhealthy, stage: StageHandshake,
			class: "http.404",
			setup: func(f *fixture) config.Server {
				s := f.server(serve(f.t, http.NotFoundHandler()).URL)
				s.Transport = config.TransportAuto
				return s
			},
			more: func(t *testing.T, f *fixture, r Result) {
				contains(t, r.Message, "legacy HTTP+SSE at the same URL failed too")
			}},
	}
}
