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
		})
	}
}
