package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Real protocol peers for the probe tests: mcp-go servers behind httptest,
// with fault injectors wrapped around them where a row of the matrix needs one.

func newMCP(name string) *server.MCPServer {
	s := server.NewMCPServer(name, "1.2.3", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo", mcp.WithDescription("echoes; must never be called by a health check")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			panic("a health check called tools/call")
		})
	return s
}

// streamableHandler is a modern (2026-07-28 capable) streamable HTTP server.
func streamableHandler(name string) http.Handler {
	return server.NewStreamableHTTPServer(newMCP(name))
}

// serve starts h on loopback and stops it with the test.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// sseServer is a legacy HTTP+SSE server; its URL is the SSE endpoint.
func sseServer(t testing.TB, name string) string {
	t.Helper()
	var sse *server.SSEServer
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sse.ServeHTTP(w, r) }))
	sse = server.NewSSEServer(newMCP(name), server.WithBaseURL(ts.URL))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sse.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL + "/sse"
}

// rpcFault answers some JSON-RPC methods itself instead of the wrapped server.
// answer returns the raw JSON result or error object, or nil to pass through.
func rpcFault(next http.Handler, answer func(method string) (result, rpcErr json.RawMessage)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		_ = json.Unmarshal(body, &msg)
		if len(msg.ID) == 0 { // notifications pass through
			next.ServeHTTP(w, r)
			return
		}
		res, rerr := answer(msg.Method)
		if res == nil && rerr == nil {
			next.ServeHTTP(w, r)
			return
		}
		out := map[string]any{"jsonrpc": "2.0", "id": msg.ID}
		if rerr != nil {
			out["error"] = rerr
		} else {
			out["result"] = res
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func rpcError(code int, msg string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg})
	return b
}

// legacyOnly makes a server of the 2025 era: server/discover is unknown to it.
func legacyOnly(next http.Handler) http.Handler {
	return rpcFault(next, func(m string) (json.RawMessage, json.RawMessage) {
		if m == "server/discover" {
			return nil, rpcError(-32601, "Method not found")
		}
		return nil, nil
	})
}

// sessionGone ends every session right after the handshake: requests that
// carry a session id get 404, as after a server restart.
func sessionGone(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Session-Id") != "" && r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(`"notifications/`)) {
				r.Body = io.NopCloser(bytes.NewReader(body))
				next.ServeHTTP(w, r)
				return
			}
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// slowly delays every request by d.
func slowly(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
}

func status(code int, contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	})
}

// hang accepts the request and never answers until the client gives up.
// It reads the body first: only then does net/http notice the client leaving.
func hang() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

// emptyAnswers is an old server that answers every method it does not know
// with an empty result {} — including server/discover and ping.
func emptyAnswers(name string) http.Handler {
	inner := server.NewStreamableHTTPServer(newMCP(name))
	return rpcFault(inner, func(m string) (json.RawMessage, json.RawMessage) {
		switch m {
		case "initialize", "tools/list":
			return nil, nil
		}
		return json.RawMessage(`{}`), nil
	})
}
