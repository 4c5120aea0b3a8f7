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

// mcpSweep sweeps p once through mcp-go's path alone: the reference.
func mcpSweep(t *testing.T, p *Pool) Result {
	t.Helper()
	leanOff.Store(true)
	defer leanOff.Store(false)
	return p.Sweep(t.Context())[0]
}

// leanSweep sweeps p once and says whether the lean path ran.
func leanSweep(t *testing.T, p *Pool) (Result, bool) {
	t.Helper()
	before := leanAttempts.Load()
	r := p.Sweep(t.Context())[0]
	return r, leanAttempts.Load() > before
}

// The lean path sends what mcp-go's path sends on a stateless-era check,
// first and remembered: the same requests, headers (configured ones and the
// credential included) and JSON bodies, ids and _meta included.
func TestLeanSendsWhatMcpGoSends(t *testing.T) {
	var log requestLog
	url := serve(t, log.around(streamableHandler("lean"))).URL
	t.Setenv("MCPW_LEAN_TOKEN", "tok-123")
	srv := config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second,
		Headers: map[string]config.Secret{"X-Team": {Literal: "probe"}},
		Auth:    config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: "MCPW_LEAN_TOKEN"}}}
	ref, lean := eraPool(t, srv), eraPool(t, srv)
	for i, remembered := range []bool{false, true} {
		want := mcpSweep(t, ref)
		wantWire := log.take()
		got, ran := leanSweep(t, lean)
		gotWire := log.take()
		if got.Status != StatusHealthy || !ran || got.EraRemembered.IsZero() != !remembered {
			t.Fatalf("check %d: %s %s %s (lean %v, remembered %v)", i+1, got.Status, got.Class, got.Message, ran, got.EraRemembered)
		}
		if len(gotWire) != len(wantWire) {
			t.Fatalf("check %d: lean path sent %d requests, mcp-go %d", i+1, len(gotWire), len(wantWire))
		}
		for j := range wantWire {
			if !reflect.DeepEqual(gotWire[j].body, wantWire[j].body) {
				t.Errorf("check %d request %d body:\nlean   %v\nmcp-go %v", i+1, j, gotWire[j].body, wantWire[j].body)
			}
			if !reflect.DeepEqual(gotWire[j].header, wantWire[j].header) {
				t.Errorf("check %d request %d headers:\nlean   %v\nmcp-go %v", i+1, j, gotWire[j].header, wantWire[j].header)
			}
		}
		if got.ProtocolVersion != want.ProtocolVersion || got.ServerName != want.ServerName || got.Era != want.Era ||
			got.ServerVersion != want.ServerVersion || !reflect.DeepEqual(got.Capabilities, want.Capabilities) ||
			got.LivenessMethod != want.LivenessMethod || got.Inventory == nil || got.Inventory.Hash != want.Inventory.Hash {
			t.Fatalf("check %d: lean result differs:\nlean   %+v\nmcp-go %+v", i+1, got, want)
		}
		if len(got.Stages) != 3 || got.Stages[0].Stage != StageConnect || got.Stages[2].Stage != StageLiveness {
			t.Fatalf("check %d: stages %+v, want connect, handshake, liveness", i+1, got.Stages)
		}
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
	// A first check reads the stream too (no hand-over to mcp-go).
	handovers := leanHandovers.Load()
	f, lean := leanSweep(t, eraPool(t, config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second}))
	if f.Status != StatusHealthy || !lean || leanHandovers.Load() != handovers || f.Era != EraStateless || f.Inventory == nil || f.Inventory.Hash != first.Inventory.Hash {
		t.Fatalf("first check over event streams: %s %s %s, era %q (lean %v)", f.Status, f.Class, f.Message, f.Era, lean)
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
			// mcp-go's path, and the lean one, on a first check say the same.
			srv := config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second, MaxMessageSize: 2048}
			m := mcpSweep(t, eraPool(t, srv))
			f, _ := leanSweep(t, eraPool(t, srv))
			for _, x := range []Result{m, f} {
				if x.Stage != r.Stage || x.Class != r.Class || x.Message != r.Message {
					t.Fatalf("first checks: mcp-go %s %s: %s, lean %s %s: %s; remembered lean: %s %s: %s",
						m.Stage, m.Class, m.Message, f.Stage, f.Class, f.Message, r.Stage, r.Class, r.Message)
				}
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
			m := mcpSweep(t, eraPool(t, srv))
			f, _ := leanSweep(t, eraPool(t, srv)) // a first check: discover handed over to mcp-go when it fails
			for _, x := range []Result{r, f} {
				if !lean || m.Status != x.Status || m.Stage != x.Stage || m.Class != x.Class || m.Message != x.Message {
					t.Fatalf("lean path (%v): %s %s %s: %s\nmcp-go's path: %s %s %s: %s",
						lean, x.Status, x.Stage, x.Class, x.Message, m.Status, m.Stage, m.Class, m.Message)
				}
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
	m := mcpSweep(t, eraPool(t, srv))
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
