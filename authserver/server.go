package authserver

import (
	"context"
	"crypto"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client authentication methods (RFC 7591 names, as used in RFC 8414 metadata).
const (
	MethodBasic         = "client_secret_basic"
	MethodPost          = "client_secret_post"
	MethodPrivateKeyJWT = "private_key_jwt" // RFC 7523 §2.2 client assertion signed with the client's key
)

// Options configures a Server.
type Options struct {
	Clients  map[string]string // client_id → client_secret
	Lifetime time.Duration     // expires_in of issued tokens; 0 means one hour
	Methods  []string          // allowed client authentication methods; nil means basic and post, and private_key_jwt when ClientKeys is set
	Scopes   []string          // scopes this server knows; a request for any other is invalid_scope; nil means any scope
	Now      func() time.Time  // clock for token expiry and client assertions; nil means time.Now

	// ClientKeys registers public keys (*rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey) for
	// private_key_jwt: client_id → the key its assertions must verify with.
	ClientKeys map[string]crypto.PublicKey
	// SigningAlgs are the JWS algorithms accepted for client assertions, in the order advertised
	// as token_endpoint_auth_signing_alg_values_supported; nil means every one this server
	// verifies (see DefaultSigningAlgs).
	SigningAlgs []string
}

// Server is an RFC 6749 client-credentials authorization server. It implements http.Handler.
type Server struct {
	now      func() time.Time
	lifetime time.Duration
	methods  []string
	scopes   []string
	algs     []string                    // accepted client assertion algorithms
	keys     map[string]crypto.PublicKey // private_key_jwt clients; read-only after New

	requests atomic.Int64

	mu       sync.Mutex
	clients  map[string]string
	issuer   string
	fault    Fault
	tokens   map[string]record
	received []TokenRequest
	jtis     map[string]time.Time // client_id + "\x00" + jti of accepted assertions → when they stop mattering

	// Set by Start, used by Close.
	httpServer *http.Server
	serveDone  chan struct{}
	closed     chan struct{} // closed by Close so slow faults stop waiting
	closeOnce  sync.Once
}

// New returns a Server. It copies opts.Clients, so later changes go through RotateSecret.
func New(opts Options) *Server {
	s := &Server{
		now:      opts.Now,
		lifetime: opts.Lifetime,
		methods:  slices.Clone(opts.Methods),
		scopes:   slices.Clone(opts.Scopes),
		clients:  make(map[string]string, len(opts.Clients)),
		tokens:   make(map[string]record),
		closed:   make(chan struct{}),
		algs:     slices.Clone(opts.SigningAlgs),
		keys:     make(map[string]crypto.PublicKey, len(opts.ClientKeys)),
		jtis:     make(map[string]time.Time),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lifetime <= 0 {
		s.lifetime = time.Hour
	}
	if s.methods == nil {
		s.methods = []string{MethodBasic, MethodPost}
		if len(opts.ClientKeys) > 0 {
			s.methods = append(s.methods, MethodPrivateKeyJWT)
		}
	}
	if s.algs == nil {
		s.algs = slices.Clone(DefaultSigningAlgs)
	}
	for id, k := range opts.ClientKeys {
		s.keys[id] = k
	}
	for id, secret := range opts.Clients {
		s.clients[id] = secret
	}
	return s
}

// ServeHTTP routes the token endpoint and the authorization-server metadata.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		s.handleToken(w, r)
	case "/.well-known/oauth-authorization-server":
		s.MetadataHandler().ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// SetIssuer sets the issuer identifier (the base URL the Server is reachable at). Needed when
// the caller mounts the Server itself; Start sets it automatically. Without it the issuer is
// derived from each request's Host, which is fine for tests but not what RFC 8414 intends.
func (s *Server) SetIssuer(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer = strings.TrimSuffix(url, "/")
}

// Issuer returns the configured issuer, or "" if none was set.
func (s *Server) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer
}

// issuerFor returns the issuer, deriving it from the request when none was set.
func (s *Server) issuerFor(r *http.Request) string {
	if iss := s.Issuer(); iss != "" {
		return iss
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// RotateSecret replaces a client's secret (or adds the client). The old secret stops working at
// once; tokens already issued stay valid, as with real authorization servers.
func (s *Server) RotateSecret(clientID, newSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = newSecret
}

// Requests returns how many requests reached the token endpoint, whatever their result.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Start serves on a fresh 127.0.0.1 port, sets the issuer to that base URL and returns it.
// Close stops it. Tests may instead wrap the Server in httptest.NewServer and call SetIssuer.
func (s *Server) Start() (baseURL string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		// Only possible when the machine has no loopback or no free port; nothing to recover.
		panic("authserver: listen on 127.0.0.1: " + err.Error())
	}
	baseURL = "http://" + ln.Addr().String()
	s.SetIssuer(baseURL)
	s.mu.Lock()
	s.httpServer = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.serveDone = make(chan struct{})
	srv, done := s.httpServer, s.serveDone
	s.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return baseURL
}

// Close stops a Server started with Start and waits for its handlers to finish. Slow faults in
// progress are cut short. It is safe to call more than once and on a Server never started.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.mu.Lock()
	srv, done := s.httpServer, s.serveDone
	s.httpServer = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
	<-done
}
