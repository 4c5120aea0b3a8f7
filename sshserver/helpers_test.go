package sshserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/mark3labs/mcp-go/server"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/probe"
)

// Waiting, not timing: every wait polls until what it looks for is there and
// gives up after a deadline generous enough for a loaded machine under -race.
const (
	pollEvery = 20 * time.Millisecond
	deadline  = 15 * time.Second
	// slowDeadline is for sessions drawn at the largest window: under the
	// race detector a 1000x150 frame is an order of magnitude dearer than
	// in a normal build, and on a busy machine such a session can lag by
	// seconds (a normal build draws it for about 1% of a core).
	slowDeadline = 60 * time.Second
)

// serverName is the one MCP server in the fixture's config; seeing it on a
// screen means the dashboard is drawn there.
const serverName = "alpha-gateway"

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	waitWithin(t, deadline, what, ok)
}

func waitWithin(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pollEvery)
	}
}

// userKey is a client key pair: the signer for in-process clients, the
// private key file for OpenSSH, the line for authorized_keys.
type userKey struct {
	signer gossh.Signer
	path   string
	line   string
}

func (k userKey) fingerprint() string { return gossh.FingerprintSHA256(k.signer.PublicKey()) }

func newUserKey(t *testing.T, dir, name string) userKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return userKey{signer: signer, path: path, line: string(gossh.MarshalAuthorizedKey(signer.PublicKey()))}
}

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) contains(sub string) bool { return strings.Contains(s.String(), sub) }

// backend is a real MCP server (mcp-go, streamable HTTP) behind httptest,
// which counts every request, can hold requests until released, and can be
// told to fail with 503.
type backend struct {
	url  string
	hits atomic.Int64
	fail atomic.Bool

	mu   sync.Mutex
	gate chan struct{} // when set, requests wait until it is closed
}

func newBackend(t *testing.T) *backend {
	t.Helper()
	b := &backend{}
	mcp := server.NewStreamableHTTPServer(server.NewMCPServer(serverName, "1.0.0", server.WithToolCapabilities(false)))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		b.mu.Lock()
		gate := b.gate
		b.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		if b.fail.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		mcp.ServeHTTP(w, r)
	}))
	b.url = ts.URL
	t.Cleanup(func() { b.release(); ts.Close() })
	return b
}

// hold makes requests wait until release.
func (b *backend) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gate == nil {
		b.gate = make(chan struct{})
	}
}

func (b *backend) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gate != nil {
		close(b.gate)
		b.gate = nil
	}
}

// fixture is a running server over a running pool over one backend, with
// one authorized key and one that is not.
type fixture struct {
	t        *testing.T
	dir      string
	backend  *backend
	pool     *probe.Pool
	srv      *Server
	logs     *syncBuffer
	user     userKey // authorized
	stranger userKey // not authorized
	authPath string
	stop     func() // stops the server (idempotent); the pool stops at cleanup
	served   chan error
}

type fixtureOptions struct {
	maxSessions     int
	idle, max       time.Duration
	color           string
	authTimeout     time.Duration
	maxUnauth       int // unauthenticated connections, all sources
	maxUnauthSource int // unauthenticated connections per source
	perMinute       int // new connections per source per minute
	beforeDashboard func(ssh.Session)
	wrapModel       func(tea.Model) tea.Model
}

func startFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), logs: &syncBuffer{}, served: make(chan error, 1)}
	f.backend = newBackend(t)
	f.user = newUserKey(t, f.dir, "id_user")
	f.stranger = newUserKey(t, f.dir, "id_stranger")
	f.authPath = filepath.Join(f.dir, "authorized_keys")
	if err := os.WriteFile(f.authPath, []byte("# the one viewer\n"+f.user.line), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := &config.File{Path: "fixture.yaml", Concurrency: 4, PerHost: 4, Servers: []config.Server{{
		Name: serverName, URL: f.backend.url + "/mcp", Transport: config.TransportHTTP,
		Auth: config.Auth{Type: config.AuthNone}, Interval: time.Hour, Timeout: 5 * time.Second, Slow: 5 * time.Second,
	}}}
	f.pool = probe.NewPool(cfg, probe.NewChecker("test"))
	poolCtx, stopPool := context.WithCancel(context.Background())
	poolDone := make(chan struct{})
	go func() { f.pool.Run(poolCtx); close(poolDone) }()
	t.Cleanup(func() { stopPool(); <-poolDone })
	f.waitChecks(1)

	srv, err := New(Options{
		Addr:               "127.0.0.1:0",
		HostKeyPath:        filepath.Join(f.dir, "host", "ssh_host_ed25519_key"),
		AuthorizedKeysPath: f.authPath,
		MaxSessions:        fo.maxSessions,
		IdleTimeout:        fo.idle,
		MaxTimeout:         fo.max,
		Color:              fo.color,

		AuthTimeout:                 fo.authTimeout,
		MaxUnauthenticated:          fo.maxUnauth,
		MaxUnauthenticatedPerSource: fo.maxUnauthSource,
		ConnectsPerMinute:           fo.perMinute,
		Source:                      f.pool,
		Logger:                      slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.beforeDashboard = fo.beforeDashboard
	srv.wrapModel = fo.wrapModel
	f.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	go func() { f.served <- srv.Serve(ctx) }()
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-f.served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) port() string {
	_, port, _ := strings.Cut(f.srv.Addr().String(), ":")
	return port
}

// checks is how many checks of the one server the pool has completed.
func (f *fixture) checks() uint64 { return f.pool.Snapshot().Servers[0].Checks }

func (f *fixture) waitChecks(n uint64) {
	f.t.Helper()
	waitUntil(f.t, "the pool to complete its checks", func() bool { return f.checks() >= n })
}

func (f *fixture) writeAuthorized(lines ...string) {
	f.t.Helper()
	if err := os.WriteFile(f.authPath, []byte(strings.Join(lines, "")), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func emptyConfig() *config.File { return &config.File{Path: "empty.yaml", Concurrency: 1, PerHost: 1} }
