package interop

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// Peers built with the official Go SDK (go-sdk v1.8.0, pinned in go.mod).
// What each mode negotiates with the probe follows from the SDK's source:
// server/discover lists the versions the session's transport can serve
// (Server.discover, filterSupportedVersions). The stateful streamable
// transport and HTTP+SSE serve only up to 2025-11-25, so the probe must do
// the initialize handshake and may ping; the stateless streamable transport
// and stdio (no ProtocolVersionSupporter) also list 2026-07-28, the
// stateless era, which has no ping.
const (
	gosdkPeerVersion = "1.8.0-interop"
	handshakeEra     = "2025-11-25"
	statelessEra     = "2026-07-28"
)

// gosdkWant is what a healthy check of a go-sdk peer must report.
type gosdkWant struct {
	name, protocol, liveness string
}

// checkGoSDK checks srv twice and requires each result to say exactly what
// the peer declared and negotiated.
func checkGoSDK(t *testing.T, srv config.Server, w gosdkWant) {
	t.Helper()
	for i, r := range checkTwice(t, srv) {
		if r.ServerName != w.name || r.ServerVersion != gosdkPeerVersion {
			t.Errorf("check %d: server info %q %q, want %q %q", i+1, r.ServerName, r.ServerVersion, w.name, gosdkPeerVersion)
		}
		if r.ProtocolVersion != w.protocol {
			t.Errorf("check %d: protocol version %q, want %q", i+1, r.ProtocolVersion, w.protocol)
		}
		if r.LivenessMethod != w.liveness {
			t.Errorf("check %d: liveness by %q, want %q", i+1, r.LivenessMethod, w.liveness)
		}
		wantEra := probe.EraInitialize
		if w.protocol >= "2026-07-28" {
			wantEra = probe.EraStateless
		}
		if r.Era != wantEra {
			t.Errorf("check %d: era %q, want %q", i+1, r.Era, wantEra)
		}
		t.Logf("check %d: %s, %s era, protocol %s over %s, server %s %s, liveness by %s",
			i+1, r.Status, r.Era, r.ProtocolVersion, r.Transport, r.ServerName, r.ServerVersion, r.LivenessMethod)
	}
}

// newGoSDKPeer is a go-sdk server with one tool, so tools/list has
// something to list; the tool fails the test if it is ever called.
func newGoSDKPeer(t *testing.T, name string) *mcp.Server {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: name, Version: gosdkPeerVersion}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "explode", Description: "has side effects; a health check must never call it"},
		func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			t.Errorf("the probe called tool %q: a health check must never send tools/call", req.Params.Name)
			return nil, nil, errors.New("a health check must not call tools")
		})
	// Sessions the probe left open would outlive the test (goleak).
	t.Cleanup(func() {
		for ss := range s.Sessions() {
			_ = ss.Close()
		}
	})
	return s
}

// serveGoSDK serves h on a loopback port behind a wire recorder, which logs
// the exchanges when the test ends.
func serveGoSDK(t *testing.T, h http.Handler) (*httptest.Server, *wire) {
	t.Helper()
	w := &wire{next: h}
	t.Cleanup(func() { t.Logf("on the wire:\n%s", w) }) // runs after ts.Close
	ts := httptest.NewServer(w)
	t.Cleanup(ts.Close)
	return ts, w
}

// gosdkTarget is the config of an HTTP or SSE peer, as validated at load.
func gosdkTarget(t *testing.T, name, url, transport string) config.Server {
	t.Helper()
	srv := config.Server{Name: name, URL: url, Transport: transport, Timeout: 10 * time.Second}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestGoSDKStreamableHTTP(t *testing.T) {
	for _, c := range []struct {
		name string
		opts mcp.StreamableHTTPOptions
		want gosdkWant
	}{
		{"stateful", mcp.StreamableHTTPOptions{}, gosdkWant{"gosdk-stateful", handshakeEra, "ping"}},
		{"stateless", mcp.StreamableHTTPOptions{Stateless: true}, gosdkWant{"gosdk-stateless", statelessEra, "tools/list"}},
		{"stateful-json", mcp.StreamableHTTPOptions{JSONResponse: true}, gosdkWant{"gosdk-stateful-json", handshakeEra, "ping"}},
		{"stateless-json", mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}, gosdkWant{"gosdk-stateless-json", statelessEra, "tools/list"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			peer := newGoSDKPeer(t, c.want.name)
			ts, w := serveGoSDK(t, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return peer }, &c.opts))
			checkGoSDK(t, gosdkTarget(t, c.want.name, ts.URL, config.TransportHTTP), c.want)
			w.never(t, "tools/call")
			// A check every 30 s must not pile up sessions on the server:
			// each check ends its own (DELETE). Closing the listener first
			// waits for every handler, so the count is settled.
			ts.Close()
			if n := openSessions(peer); n != 0 {
				t.Errorf("%d sessions still open on the server after the checks", n)
			}
		})
	}
}

func TestGoSDKSSE(t *testing.T) {
	peer := newGoSDKPeer(t, "gosdk-sse")
	ts, w := serveGoSDK(t, mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return peer }, nil))
	checkGoSDK(t, gosdkTarget(t, "gosdk-sse", ts.URL, config.TransportSSE), gosdkWant{"gosdk-sse", handshakeEra, "ping"})
	w.never(t, "tools/call")
}

// TestGoSDKSSEFoundByAuto: transport auto (the default) finds go-sdk's
// legacy HTTP+SSE endpoint the way the spec's backwards-compatibility rule
// says: a POST answered with a 4xx, then a GET that opens the event stream.
func TestGoSDKSSEFoundByAuto(t *testing.T) {
	peer := newGoSDKPeer(t, "gosdk-sse")
	ts, w := serveGoSDK(t, mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return peer }, nil))
	srv := gosdkTarget(t, "gosdk-sse", ts.URL, config.TransportAuto)
	checkGoSDK(t, srv, gosdkWant{"gosdk-sse", handshakeEra, "ping"})
	if r := probe.NewChecker("interop-test").Check(context.Background(), &srv); r.Transport != config.TransportSSE {
		t.Errorf("transport found %q, want sse", r.Transport)
	}
	w.never(t, "tools/call")
}

// TestGoSDKBearer puts go-sdk's own bearer middleware in front of a
// stateful streamable server: the right token is healthy, a wrong token or
// none is an auth error, never healthy and never merely unhealthy.
func TestGoSDKBearer(t *testing.T) {
	const good = "gosdk-interop-good-token"
	verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		if subtle.ConstantTimeCompare([]byte(token), []byte(good)) != 1 {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{Expiration: time.Now().Add(time.Hour)}, nil
	}
	peer := newGoSDKPeer(t, "gosdk-bearer")
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return peer }, nil)
	ts, w := serveGoSDK(t, auth.RequireBearerToken(verify, nil)(mcpHandler))
	url := ts.URL
	t.Setenv("GOSDK_INTEROP_GOOD", good)
	t.Setenv("GOSDK_INTEROP_WRONG", "not-"+good)

	bearer := func(env string) config.Server {
		srv := gosdkTarget(t, "gosdk-bearer", url, config.TransportHTTP)
		srv.Auth = config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: env}}
		if err := srv.Validate(); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	t.Run("token", func(t *testing.T) {
		checkGoSDK(t, bearer("GOSDK_INTEROP_GOOD"), gosdkWant{"gosdk-bearer", handshakeEra, "ping"})
	})
	for _, c := range []struct {
		name  string
		srv   config.Server
		class string
	}{
		{"wrong token", bearer("GOSDK_INTEROP_WRONG"), "http.401"},
		{"no token", gosdkTarget(t, "gosdk-bearer", url, config.TransportHTTP), "auth.required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := probe.NewChecker("interop-test").Check(context.Background(), &c.srv)
			if r.Status != probe.StatusAuthError || r.Class != c.class {
				t.Errorf("%s %s %s: %s, want auth_error %s", r.Status, r.Stage, r.Class, r.Message, c.class)
			}
			t.Logf("%s %s %s: %s", r.Status, r.Stage, r.Class, r.Message)
		})
	}
	w.never(t, "tools/call")
}

// TestGoSDKStdio builds the go-sdk stdio peer (gosdkserver) and checks it
// through a config file, as an operator would write it.
func TestGoSDKStdio(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH to build the stdio peer")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gosdkserver")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./gosdkserver").CombinedOutput(); err != nil {
		t.Fatalf("building the stdio peer: %v\n%s", err, out)
	}
	called := filepath.Join(dir, "tools-call")
	src := fmt.Sprintf(`allow_stdio: true
servers:
  - name: gosdk-stdio
    transport: stdio
    command: %q
    args: [-name, gosdk-stdio, -version, %q, -called, %q]
    timeout: 10s
`, bin, gosdkPeerVersion, called)
	f, warns, err := config.Parse(filepath.Join(dir, "mcpwatch.yaml"), []byte(src))
	if err != nil || len(warns) > 0 {
		t.Fatalf("config: %v %v", err, warns)
	}
	checkGoSDK(t, f.Servers[0], gosdkWant{"gosdk-stdio", statelessEra, "tools/list"})
	if _, err := os.Stat(called); err == nil {
		t.Error("the probe called a tool: a health check must never send tools/call")
	}
	if pids := running(t, bin); len(pids) > 0 {
		t.Errorf("server processes still running after the checks: %v", pids)
	}
}

func openSessions(s *mcp.Server) int {
	n := 0
	for range s.Sessions() {
		n++
	}
	return n
}

// wire records each HTTP request the probe makes: method, the JSON-RPC
// methods of a POST, the MCP headers it carried, and the answer's status
// (with the start of the body when it is an error).
type wire struct {
	next http.Handler
	mu   sync.Mutex
	log  []*exchange
}

type exchange struct {
	req    string
	status int
	ctype  string
	errMsg bytes.Buffer
}

func (w *wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	req := r.Method
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		req += " " + rpcMethods(body)
	}
	for _, h := range []string{"Mcp-Protocol-Version", "Mcp-Session-Id", "Mcp-Method"} {
		if v := r.Header.Get(h); v != "" {
			if h == "Mcp-Session-Id" {
				v = "set" // random; only its presence matters
			}
			req += fmt.Sprintf(" [%s: %s]", h, v)
		}
	}
	if r.Header.Get("Authorization") != "" {
		req += " [Authorization]"
	}
	ex := &exchange{req: req}
	w.mu.Lock()
	w.log = append(w.log, ex)
	w.mu.Unlock()
	w.next.ServeHTTP(&recordingWriter{ResponseWriter: rw, w: w, ex: ex}, r)
}

// never fails the test if any POST carried one of methods.
func (w *wire) never(t *testing.T, methods ...string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ex := range w.log {
		for _, m := range methods {
			if strings.Contains(ex.req, " "+m) {
				t.Errorf("the probe sent %s: %s", m, ex.req)
			}
		}
	}
}

func (w *wire) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, ex := range w.log {
		fmt.Fprintf(&b, "  %s → %d %s", ex.req, ex.status, ex.ctype)
		if ex.errMsg.Len() > 0 {
			fmt.Fprintf(&b, " %q", strings.TrimSpace(ex.errMsg.String()))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// rpcMethods names the JSON-RPC messages in a POST body (one or a batch);
// a message without a method is a response to the server.
func rpcMethods(body []byte) string {
	type message struct {
		Method string `json:"method"`
	}
	var msgs []message
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		if json.Unmarshal(body, &msgs) != nil {
			return "(bad JSON)"
		}
	} else {
		var m message
		if json.Unmarshal(body, &m) != nil {
			return "(bad JSON)"
		}
		msgs = []message{m}
	}
	names := make([]string, len(msgs))
	for i, m := range msgs {
		names[i] = m.Method
		if m.Method == "" {
			names[i] = "(response)"
		}
	}
	return strings.Join(names, ",")
}

// recordingWriter notes the status and the start of an error body; Unwrap
// lets go-sdk flush its event streams through it.
type recordingWriter struct {
	http.ResponseWriter
	w     *wire
	ex    *exchange
	wrote bool
}

// note records the status once; go-sdk may Write or Flush without WriteHeader.
func (rw *recordingWriter) note(code int) {
	if rw.wrote {
		return
	}
	rw.wrote = true
	rw.w.mu.Lock()
	rw.ex.status, rw.ex.ctype = code, rw.Header().Get("Content-Type")
	rw.w.mu.Unlock()
}

func (rw *recordingWriter) WriteHeader(code int) {
	rw.note(code)
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recordingWriter) Write(p []byte) (int, error) {
	rw.note(http.StatusOK)
	rw.w.mu.Lock()
	if n := 300 - rw.ex.errMsg.Len(); rw.ex.status >= 400 && n > 0 {
		rw.ex.errMsg.Write(p[:min(n, len(p))])
	}
	rw.w.mu.Unlock()
	return rw.ResponseWriter.Write(p)
}

func (rw *recordingWriter) Flush() {
	rw.note(http.StatusOK)
	_ = http.NewResponseController(rw.ResponseWriter).Flush()
}

func (rw *recordingWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
