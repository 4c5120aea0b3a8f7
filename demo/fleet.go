// Package demo runs an embedded fleet of real MCP servers and a real OAuth2
// client-credentials authorization server on loopback, so that `mcpwatch demo`
// shows the dashboard on a live fleet with no setup.
//
// Nothing here is a mock of the probe's point of view: every server is an
// mcp-go server speaking the real protocol, the token endpoint is the
// authserver package's RFC 6749 implementation, and each status the dashboard
// knows is produced by a real fault on the wire (a delay, a 503, a rotated
// secret, a port where nothing listens). The probe runs against the fleet
// unmodified; the fleet only hands it an ordinary config.File.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// ConfigPath is the File.Path of the fleet's config: shown where a real
// config would show its file name.
const ConfigPath = "embedded demo fleet"

// Environment variables that carry the fleet's secrets. The config refers to
// them as ${NAME}, so neither the dashboard nor --print-config ever holds a
// secret value.
const (
	EnvClientSecret   = "MCPWATCH_DEMO_CLIENT_SECRET"   // client "mcpwatch" (analytics, billing)
	EnvPaymentsSecret = "MCPWATCH_DEMO_PAYMENTS_SECRET" // client "mcpwatch-payments": stale on purpose
	EnvBearer         = "MCPWATCH_DEMO_BEARER"          // static token of the metrics server
)

// Timings. The interval is short so that a demo shows movement within
// seconds; the token lifetime is short so that refreshes are visible.
const (
	defaultInterval = 5 * time.Second
	defaultTimeout  = 3 * time.Second
	defaultSlow     = 500 * time.Millisecond
	concurrency     = 8
	perHost         = 4
	tokenLifetime   = time.Minute
)

// Fleet is a running demo fleet. Close stops it.
type Fleet struct {
	cfg   *config.File
	notes []string // per server: what the probe should report, and why

	idp    *authserver.Server
	issuer string
	// secrets are the values behind the Env* variables, for the servers
	// that check them and for tests; never printed.
	secrets map[string]string
	flap    *flapper // kept so tests can tell which phase it is in
	drift   *drifter // the toolbox's coming change (drift.go)

	// base is every request's context; cancelling it ends SSE streams,
	// listening streams and injected delays, which http.Server.Shutdown
	// would otherwise wait for.
	base       context.Context
	cancelBase context.CancelFunc
	sites      []*site
	downPorts  []net.Listener // held while the fleet starts, then closed: nothing listens there
	closers    []func()       // session cleanup of the mcp-go transports
	restoreEnv func()
	stopAfter  func() bool
	closeOnce  sync.Once
}

// site is one HTTP listener of the fleet.
type site struct {
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// member is one server of the fleet as the config lists it, with the note the
// printed config carries above it.
type member struct {
	server config.Server
	note   string
}

// Start starts the whole fleet on 127.0.0.1, each server on its own random
// port, and puts the fleet's random secrets into the process environment.
// The fleet stops when ctx is done or Close is called; call Close in any case.
//
// Only one fleet should run in a process at a time: the secrets live in
// fixed environment variables.
func Start(ctx context.Context) (*Fleet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := &Fleet{}
	// WithoutCancel: a done ctx reaches the servers through Close (AfterFunc
	// below), which ends requests and listeners together.
	f.base, f.cancelBase = context.WithCancel(context.WithoutCancel(ctx))

	f.secrets = map[string]string{
		EnvClientSecret:   rand.Text(),
		EnvPaymentsSecret: rand.Text(),
		EnvBearer:         rand.Text(),
	}
	f.restoreEnv = setEnv(f.secrets)

	members, err := f.startServers()
	if err != nil {
		f.Close()
		return nil, err
	}
	f.cfg = &config.File{
		Path: ConfigPath,
		Defaults: config.Defaults{Interval: defaultInterval, Timeout: defaultTimeout, Slow: defaultSlow, MaxMessageSize: config.DefaultMaxMessageSize,
			CertWarning: config.DefaultCertWarning},
		Concurrency: concurrency,
		PerHost:     perHost,
	}
	for _, m := range members {
		s := m.server
		s.Interval = orDefault(s.Interval, defaultInterval)
		s.Timeout = orDefault(s.Timeout, defaultTimeout)
		s.Slow = orDefault(s.Slow, defaultSlow)
		// Validate normalises exactly as loading a file does (transport,
		// auth type, flow, resource), so Config equals Parse(YAML).
		if err := s.Validate(); err != nil {
			f.Close()
			return nil, fmt.Errorf("demo server %s: %w", s.Name, err)
		}
		f.cfg.Servers = append(f.cfg.Servers, s)
		f.notes = append(f.notes, m.note)
	}
	f.stopAfter = context.AfterFunc(ctx, f.Close)
	return f, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// startServers starts the authorization server and then every MCP server, in
// the order the dashboard lists them.
func (f *Fleet) startServers() ([]member, error) {
	if err := f.startIdP(); err != nil {
		return nil, err
	}
	builders := []func() (member, error){
		f.docsSearch, f.legacyCRM, f.analytics, f.billing, f.codeSearch, f.ciPipelines,
		f.inventory, f.payments, f.wiki, f.metrics, f.helpdesk,
		f.vault,   // tls.go
		f.toolbox, // drift.go
	}
	members := make([]member, 0, len(builders))
	for _, build := range builders {
		m, err := build()
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	f.closeDownPorts()
	return members, nil
}

func (f *Fleet) closeDownPorts() {
	for _, ln := range f.downPorts {
		_ = ln.Close()
	}
	f.downPorts = nil
}

// startIdP starts the token endpoint every OAuth server of the fleet trusts.
func (f *Fleet) startIdP() error {
	f.idp = authserver.New(authserver.Options{
		Clients: map[string]string{
			"mcpwatch":          f.secrets[EnvClientSecret],
			"mcpwatch-payments": f.secrets[EnvPaymentsSecret],
		},
		Lifetime: tokenLifetime,
		Scopes:   []string{"mcp:read", "mcp:write"},
	})
	base, err := f.serve(func(string) http.Handler { return f.idp })
	if err != nil {
		return err
	}
	f.issuer = base
	f.idp.SetIssuer(base)
	// The payments client's secret was rotated at the identity provider but
	// not in mcpwatch's environment: the most common way a machine-to-machine
	// credential breaks in production.
	f.idp.RotateSecret("mcpwatch-payments", rand.Text())
	return nil
}

// serve listens on a fresh loopback port and serves the handler that build
// makes for that base URL (servers need their own URL: SSE endpoint events,
// OAuth resource identifiers).
func (f *Fleet) serve(build func(baseURL string) http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo fleet: listen on 127.0.0.1: %w", err)
	}
	return f.serveOn(ln, "http", build), nil
}

// serveOn serves build's handler on ln, a listener for scheme (http, or
// https for a TLS listener), and returns the base URL.
func (f *Fleet) serveOn(ln net.Listener, scheme string, build func(baseURL string) http.Handler) string {
	base := scheme + "://" + ln.Addr().String()
	srv := &http.Server{
		Handler:           build(base),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return f.base },
		// The dashboard owns the terminal: a server-side log line would
		// scribble over it.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s := &site{srv: srv, done: make(chan struct{})}
	f.sites = append(f.sites, s)
	go func() {
		defer close(s.done)
		_ = srv.Serve(ln) // http.ErrServerClosed after Close
	}()
	return base
}

// Config returns the fleet's config. Each call returns a fresh copy, so a
// caller may change it freely.
func (f *Fleet) Config() *config.File {
	c := *f.cfg
	c.Servers = make([]config.Server, len(f.cfg.Servers))
	for i, s := range f.cfg.Servers {
		s.Tags = slices.Clone(s.Tags)
		s.Auth.Scopes = slices.Clone(s.Auth.Scopes)
		if s.Headers != nil {
			h := make(map[string]config.Secret, len(s.Headers))
			for k, v := range s.Headers {
				h[k] = v
			}
			s.Headers = h
		}
		c.Servers[i] = s
	}
	return &c
}

// Close stops every server, waits for their goroutines and restores the
// environment variables Start set. It is safe to call more than once.
func (f *Fleet) Close() {
	f.closeOnce.Do(func() {
		if f.stopAfter != nil {
			f.stopAfter()
		}
		f.cancelBase()
		f.closeDownPorts() // when Start failed half-way
		for _, c := range f.closers {
			c()
		}
		var wg sync.WaitGroup
		for _, s := range f.sites {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if s.srv.Shutdown(ctx) != nil {
					_ = s.srv.Close()
				}
				<-s.done
			})
		}
		wg.Wait()
		if f.idp != nil {
			f.idp.Close() // releases any slow-fault waits; it was never Started
		}
		f.restoreEnv()
	})
}

// setEnv sets the variables and returns a function that puts back what was
// there before, so a test process or a later fleet starts clean.
func setEnv(vars map[string]string) (restore func()) {
	type prev struct {
		value string
		set   bool
	}
	old := make(map[string]prev, len(vars))
	for k, v := range vars {
		pv, set := os.LookupEnv(k)
		old[k] = prev{pv, set}
		_ = os.Setenv(k, v) // only fails for invalid names; ours are constants
	}
	return func() {
		for k, p := range old {
			if p.set {
				_ = os.Setenv(k, p.value)
			} else {
				_ = os.Unsetenv(k)
			}
		}
	}
}
