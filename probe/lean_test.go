package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// sentRequest is what a server saw of one request.
type sentRequest struct {
	header http.Header
	body   any
}

// requestLog records every request's headers and JSON body.
type requestLog struct {
	mu   sync.Mutex
	seen []sentRequest
}

func (l *requestLog) around(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var v any
		_ = json.Unmarshal(body, &v)
		l.mu.Lock()
		l.seen = append(l.seen, sentRequest{r.Header.Clone(), v})
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (l *requestLog) take() []sentRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen
	l.seen = nil
	return s
}

// leanSweep sweeps p once and says whether the lean path ran.
func leanSweep(t *testing.T, p *Pool) (Result, bool) {
	t.Helper()
	before := leanAttempts.Load()
	r := p.Sweep(t.Context())[0]
	return r, leanAttempts.Load() > before
}

// The lean path sends what mcp-go's path sends on a stateless-era check:
// the same requests, headers (configured ones and the credential included)
// and JSON bodies, ids and _meta included.
func TestLeanSendsWhatMcpGoSends(t *testing.T) {
	var log requestLog
	url := serve(t, log.around(streamableHandler("lean"))).URL
	t.Setenv("MCPW_LEAN_TOKEN", "tok-123")
	p := eraPool(t, config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second,
		Headers: map[string]config.Secret{"X-Team": {Literal: "probe"}},
		Auth:    config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: "MCPW_LEAN_TOKEN"}}})

	first, lean := leanSweep(t, p)
	if first.Status != StatusHealthy || lean {
		t.Fatalf("first check: %s %s (lean %v), want healthy through mcp-go", first.Status, first.Message, lean)
	}
	want := log.take()
	second, lean := leanSweep(t, p)
	if second.Status != StatusHealthy || !lean || second.EraRemembered.IsZero() {
		t.Fatalf("second check: %s %s %s (lean %v), want healthy through the lean path", second.Status, second.Class, second.Message, lean)
	}
	got := log.take()
	if len(got) != len(want) {
		t.Fatalf("lean path sent %d requests, mcp-go %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].body, want[i].body) {
			t.Errorf("request %d body:\nlean   %v\nmcp-go %v", i, got[i].body, want[i].body)
		}
		if !reflect.DeepEqual(got[i].header, want[i].header) {
			t.Errorf("request %d headers:\nlean   %v\nmcp-go %v", i, got[i].header, want[i].header)
		}
	}
	if second.ProtocolVersion != first.ProtocolVersion || second.ServerName != first.ServerName ||
		second.ServerVersion != first.ServerVersion || !reflect.DeepEqual(second.Capabilities, first.Capabilities) ||
		second.LivenessMethod != first.LivenessMethod || second.Inventory == nil || second.Inventory.Hash != first.Inventory.Hash {
		t.Fatalf("lean result differs:\nlean   %+v\nmcp-go %+v", second, first)
	}
	if len(second.Stages) != 3 || second.Stages[0].Stage != StageConnect || second.Stages[2].Stage != StageLiveness {
		t.Fatalf("stages %+v, want connect, handshake, liveness", second.Stages)
	}
}

// asSSE answers every POST of next as an event stream: a comment, a
// notification and a non-JSON event first, then the answer.
func asSSE(next http.Handler, on *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !on.Load() || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": keep-alive\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\ndata: not json\n\n")
		fmt.Fprintf(w, "event: message\r\ndata: %s\r\n\r\n", bytes.TrimSpace(rec.Body.Bytes()))
	})
}

// A streamable HTTP server may answer a POST with an event stream (the
// TypeScript SDK does by default): the lean path reads the answer from it.
func TestLeanReadsEventStreamAnswers(t *testing.T) {
	var on atomic.Bool
	url := serve(t, asSSE(streamableHandler("sse"), &on)).URL
	p := eraPool(t, config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second})
	first := sweepOne(t, p)
	on.Store(true)
	r, lean := leanSweep(t, p)
	if r.Status != StatusHealthy || !lean || r.EraRemembered.IsZero() {
		t.Fatalf("%s %s %s (lean %v, remembered %v), want healthy through the lean path, no renegotiation",
			r.Status, r.Class, r.Message, lean, r.EraRemembered)
	}
	if r.LivenessMethod != "tools/list" || r.Inventory == nil || r.Inventory.Hash != first.Inventory.Hash {
		t.Fatalf("liveness %q inventory %+v, want tools/list and the first check's inventory", r.LivenessMethod, r.Inventory)
	}
}

// After an era was remembered, the lean path judges answers as strictly as
// mcp-go's path behind the wire judge: a lie fails the check at its stage.
func TestLeanJudgesLies(t *testing.T) {
	big := `{"tools":[{"name":"x","description":"` + strings.Repeat("a", 4096) + `"}]}`
	for _, tc := range []struct {
		name, method   string
		result, rpcErr string
		stage          Stage
		class          string
	}{
		{"tools/list id", "tools/list", "", "", StageLiveness, "protocol.jsonrpc"},
		{"tools/list not a list", "tools/list", `{"tools":"none"}`, "", StageLiveness, "protocol.bad_json"},
		{"tools/list name not a string", "tools/list", `{"tools":[{"name":7}]}`, "", StageLiveness, "protocol.bad_json"},
		{"tools/list cursor not a string", "tools/list", `{"tools":[],"nextCursor":{}}`, "", StageLiveness, "protocol.bad_json"},
		{"tools/list error", "tools/list", "", `{"code":-32603,"message":"boom"}`, StageLiveness, "rpc.-32603"},
		{"tools/list too large", "tools/list", big, "", StageLiveness, "protocol.too_large"},
		{"discover id", "server/discover", "", "", StageHandshake, "protocol.jsonrpc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var on atomic.Bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m, id := peek(r)
				if !on.Load() || m != tc.method {
					streamableHandler("lies").ServeHTTP(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				switch {
				case tc.result != "":
					fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, id, tc.result)
				case tc.rpcErr != "":
					fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":%s}`, id, tc.rpcErr)
				default:
					fmt.Fprint(w, `{"jsonrpc":"2.0","id":"other","result":{}}`)
				}
			})
			url := serve(t, h).URL
			p := eraPool(t, config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second, MaxMessageSize: 2048})
			sweepOne(t, p)
			on.Store(true)
			r, lean := leanSweep(t, p)
			if !lean || r.Stage != tc.stage || r.Class != tc.class {
				t.Fatalf("lean %v: %s %s %s: %s, want %s %s", lean, r.Status, r.Stage, r.Class, r.Message, tc.stage, tc.class)
			}
			// mcp-go's path, on a first check, says the same.
			fresh := eraPool(t, config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second, MaxMessageSize: 2048})
			m, lean := leanSweep(t, fresh)
			if lean || m.Stage != r.Stage || m.Class != r.Class || m.Message != r.Message {
				t.Fatalf("mcp-go's path (lean %v): %s %s: %s; lean path: %s %s: %s", lean, m.Stage, m.Class, m.Message, r.Stage, r.Class, r.Message)
			}
		})
	}
}

// HTTP failures after an era was remembered: the lean path names them as
// mcp-go's path does on a first check (the recorder's exchange decides). A
// failed discover is retried through mcp-go, which falls back to initialize
// (healthy here: the server still answers it).
func TestLeanHTTPFailuresMatchMcpGo(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		status       int
		ctype, body  string
		header       string
	}{
		{"tools/list 401", "tools/list", 401, "", "", `Bearer error="invalid_token", error_description="expired"`},
		{"tools/list 403 scope", "tools/list", 403, "", "", `Bearer error="insufficient_scope", scope="tools:read"`},
		{"tools/list 404", "tools/list", 404, "text/plain", "gone", ""},
		{"tools/list 500 with a JSON-RPC error", "tools/list", 500, "application/json", `{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"down"}}`, ""},
		{"tools/list html", "tools/list", 200, "text/html", "<html></html>", ""},
		{"tools/list empty JSON", "tools/list", 200, "application/json", "", ""},
		{"discover 401", "server/discover", 401, "", "", `Bearer realm="mcp"`},
		{"discover 404", "server/discover", 404, "", "", ""},
		{"discover 500", "server/discover", 500, "text/plain", "oops", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var on atomic.Bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if m, _ := peek(r); !on.Load() || m != tc.method {
					streamableHandler("http").ServeHTTP(w, r)
					return
				}
				if tc.header != "" {
					w.Header().Set("WWW-Authenticate", tc.header)
				}
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			url := serve(t, h).URL
			srv := config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second,
				Auth: config.Auth{Type: config.AuthBearer, Token: config.Secret{Literal: "tok-456"}}}
			p := eraPool(t, srv)
			sweepOne(t, p)
			on.Store(true)
			r, lean := leanSweep(t, p)
			m, mlean := leanSweep(t, eraPool(t, srv))
			if !lean || mlean || m.Status != r.Status || m.Stage != r.Stage || m.Class != r.Class || m.Message != r.Message {
				t.Fatalf("lean path (%v): %s %s %s: %s\nmcp-go's path (%v): %s %s %s: %s",
					lean, r.Status, r.Stage, r.Class, r.Message, mlean, m.Status, m.Stage, m.Class, m.Message)
			}
		})
	}
}

// A server gone since its era was remembered: the lean path fails to
// connect as mcp-go's path does.
func TestLeanConnectFailure(t *testing.T) {
	ts := httptest.NewServer(streamableHandler("gone"))
	srv := config.Server{URL: ts.URL, Transport: config.TransportHTTP, Timeout: 2 * time.Second}
	p := eraPool(t, srv)
	sweepOne(t, p)
	ts.Close()
	r, lean := leanSweep(t, p)
	m, _ := leanSweep(t, eraPool(t, srv))
	if !lean || r.Class != "connect.refused" || r.Stage != StageConnect || m.Class != r.Class || m.Message != r.Message {
		t.Fatalf("lean (%v): %s %s: %s; mcp-go: %s %s: %s", lean, r.Stage, r.Class, r.Message, m.Stage, m.Class, m.Message)
	}
}

// A token revoked since the era was remembered: the lean check is answered
// 401, drops the token and passes with a fresh one, as mcp-go's path does.
func TestLeanRetriesWithAFreshToken(t *testing.T) {
	f := newFixture(t)
	url := serve(t, f.as.Protect(streamableHandler("oauth"), authserver.Protection{})).URL
	srv := f.oauthServer(url, false)
	p := eraPool(t, srv)
	sweepOne(t, p)
	tokens := f.as.Requests()
	f.as.RevokeAll()
	r, lean := leanSweep(t, p)
	if !lean || r.Status != StatusHealthy || f.as.Requests() != tokens+1 {
		t.Fatalf("lean %v: %s %s %s; token requests %d, want healthy after one more", lean, r.Status, r.Class, r.Message, f.as.Requests()-tokens)
	}
}
