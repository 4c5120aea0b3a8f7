package demo

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// Fault settings of the fleet.
const (
	slowDelay = 700 * time.Millisecond // above defaultSlow, so code-search is degraded
	flapUp    = 20 * time.Second       // ci-pipelines is healthy this long,
	flapDown  = 10 * time.Second       // then answers 503 this long (two intervals, so it is seen)
)

// mcpPath is where every streamable server answers, as most deployments do.
const mcpPath = "/mcp"

// toolSpec is a tool a demo server lists. The probe never calls tools; they
// are there so that tools/list returns what a real server would.
type toolSpec struct {
	name, desc string
	args       []string // required string arguments
}

// newMCP is an mcp-go server offering tools.
func newMCP(name, version string, tools ...toolSpec) *server.MCPServer {
	s := server.NewMCPServer(name, version, server.WithToolCapabilities(false))
	for _, t := range tools {
		opts := []mcp.ToolOption{mcp.WithDescription(t.desc)}
		for _, a := range t.args {
			opts = append(opts, mcp.WithString(a, mcp.Required()))
		}
		s.AddTool(mcp.NewTool(t.name, opts...), cannedAnswer)
	}
	return s
}

// cannedAnswer answers a tool call without side effects: someone may point
// the MCP Inspector at the demo fleet, and there is no data behind it.
func cannedAnswer(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText("demo fleet: " + req.Params.Name + " has no data behind it"), nil
}

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// streamable serves s over streamable HTTP and registers its session cleanup
// with Close.
func (f *Fleet) streamable(s *server.MCPServer) http.Handler {
	h := server.NewStreamableHTTPServer(s, server.WithStreamableHTTPLogger(discardLogger))
	f.closers = append(f.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = h.Shutdown(ctx) // not started by mcp-go, so this only ends sessions
	})
	return h
}

// atMCPPath answers only at mcpPath; anything else is a 404, as on a real host.
func atMCPPath(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(mcpPath, h)
	return mux
}

// plain serves an MCP server with wrap around it (nil for none) and returns its URL.
func (f *Fleet) plain(s *server.MCPServer, wrap func(http.Handler) http.Handler) (string, error) {
	h := f.streamable(s)
	if wrap != nil {
		h = wrap(h)
	}
	base, err := f.serve(func(string) http.Handler { return atMCPPath(h) })
	return base + mcpPath, err
}

// protected serves an MCP server that accepts only tokens the fleet's
// identity provider issued for this very server (RFC 8707 resource), and
// publishes RFC 9728 metadata naming that provider, so a client needs no
// token_url to find it.
func (f *Fleet) protected(s *server.MCPServer, scopes ...string) (string, error) {
	h := f.streamable(s)
	base, err := f.serve(func(base string) http.Handler {
		resource := base + mcpPath
		metadataPath := "/.well-known/oauth-protected-resource" + mcpPath
		mux := http.NewServeMux()
		mux.Handle(mcpPath, f.idp.Protect(h, authserver.Protection{
			ResourceURL: resource, MetadataURL: base + metadataPath, RequiredScopes: scopes}))
		mux.Handle(metadataPath, authserver.ProtectedResourceMetadata(resource, f.issuer))
		return mux
	})
	return base + mcpPath, err
}

func (f *Fleet) docsSearch() (member, error) {
	url, err := f.plain(newMCP("docs-search", "2.4.1",
		toolSpec{"search_docs", "Full-text search over the engineering handbook", []string{"query"}},
		toolSpec{"get_page", "Fetch a handbook page by its path", []string{"path"}},
	), nil)
	return member{config.Server{Name: "docs-search", URL: url, Tags: []string{"prod", "docs"}},
		"healthy: streamable HTTP, no auth"}, err
}

func (f *Fleet) legacyCRM() (member, error) {
	s := newMCP("crm-connector", "0.9.3",
		toolSpec{"find_contact", "Look up a customer contact by email or name", []string{"query"}},
		toolSpec{"list_deals", "List open deals for an account", []string{"account_id"}},
	)
	base, err := f.serve(func(base string) http.Handler {
		sse := server.NewSSEServer(s, server.WithBaseURL(base))
		// Ends the streams of sessions; the base context ends the rest.
		f.closers = append(f.closers, sse.CloseSessions)
		return sse
	})
	return member{config.Server{Name: "legacy-crm", URL: base + "/sse", Transport: config.TransportSSE,
		Tags: []string{"prod", "legacy"}},
		"healthy: legacy HTTP+SSE transport, liveness by ping"}, err
}

func (f *Fleet) analytics() (member, error) {
	url, err := f.protected(newMCP("analytics", "1.7.0",
		toolSpec{"run_query", "Run a read-only SQL query on the warehouse", []string{"sql"}},
		toolSpec{"list_dashboards", "List saved dashboards", nil},
	))
	return member{config.Server{Name: "analytics", URL: url, Tags: []string{"prod", "data"},
		Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: "mcpwatch",
			ClientSecret: config.Secret{Env: EnvClientSecret}, Issuer: f.issuer}},
		"healthy: OAuth2 client credentials; no token_url, it is discovered from the 401's resource_metadata " +
			"(RFC 9728, RFC 8414) and sent only to the pinned issuer; tokens last 60s, so refreshes show"}, err
}

func (f *Fleet) billing() (member, error) {
	url, err := f.protected(newMCP("billing", "3.2.0",
		toolSpec{"get_invoice", "Fetch an invoice by number", []string{"invoice_id"}},
		toolSpec{"list_subscriptions", "List a customer's active subscriptions", []string{"customer_id"}},
	), "mcp:read")
	return member{config.Server{Name: "billing", URL: url, Tags: []string{"prod", "finance"},
		Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, TokenURL: f.issuer + "/token",
			ClientID: "mcpwatch", ClientSecret: config.Secret{Env: EnvClientSecret},
			Scopes: []string{"mcp:read"}, Method: config.MethodClientSecretPost}},
		"healthy: OAuth2 client credentials, configured token_url, scope mcp:read; tokens last 60s"}, err
}

func (f *Fleet) codeSearch() (member, error) {
	url, err := f.plain(newMCP("code-search", "0.4.0",
		toolSpec{"semantic_search", "Search the monorepo by meaning", []string{"query"}},
	), func(h http.Handler) http.Handler { return slowly(slowDelay, h) })
	return member{config.Server{Name: "code-search", URL: url, Tags: []string{"staging"},
		// Three round trips of 700ms each; the longer timeout keeps them
		// clear of the deadline, so the server is reported slow, not dead.
		Timeout: 5 * time.Second},
		"degraded: every response takes 700ms; the slow threshold is 500ms"}, err
}

func (f *Fleet) ciPipelines() (member, error) {
	var fl *flapper
	url, err := f.plain(newMCP("ci-pipelines", "1.0.2",
		toolSpec{"list_runs", "List recent pipeline runs of a repository", []string{"repo"}},
		toolSpec{"get_run_logs", "Fetch the logs of a pipeline run", []string{"run_id"}},
	), func(h http.Handler) http.Handler {
		fl = newFlapper(flapUp, flapDown, time.Now, h)
		return fl
	})
	f.flap = fl
	return member{config.Server{Name: "ci-pipelines", URL: url, Tags: []string{"prod", "ci"}},
		"flapping: healthy for 20s, then HTTP 503 (unhealthy) for 10s, over and over"}, err
}

func (f *Fleet) inventory() (member, error) {
	// Listen, note the port, close: a server that is down. The listener
	// stays open until every other server has its port, so none of them is
	// handed this one. Another process could take it later, but on loopback
	// that is unlikely.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return member{}, err
	}
	f.downPorts = append(f.downPorts, ln)
	addr := ln.Addr().String()
	return member{config.Server{Name: "inventory", URL: "http://" + addr + mcpPath, Tags: []string{"staging"}},
		"unhealthy (connect.refused): nothing listens on this port"}, nil
}

func (f *Fleet) payments() (member, error) {
	url, err := f.protected(newMCP("payments", "2.0.1",
		toolSpec{"get_payment", "Fetch a payment by id", []string{"payment_id"}},
		toolSpec{"list_payouts", "List recent payouts", nil},
	))
	return member{config.Server{Name: "payments", URL: url, Tags: []string{"prod", "finance"},
		Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, TokenURL: f.issuer + "/token",
			ClientID: "mcpwatch-payments", ClientSecret: config.Secret{Env: EnvPaymentsSecret},
			Method: config.MethodClientSecretBasic}},
		"auth_error (token.invalid_client): the client secret was rotated at the identity provider"}, err
}

func (f *Fleet) wiki() (member, error) {
	// A person's token would be needed; nobody in the fleet has one.
	url, err := f.plain(newMCP("wiki", "5.1.0",
		toolSpec{"search_wiki", "Search the company wiki", []string{"query"}},
		toolSpec{"get_wiki_page", "Fetch a wiki page", []string{"page_id"}},
	), func(h http.Handler) http.Handler { return requireBearer(rand.Text(), "wiki", h) })
	return member{config.Server{Name: "wiki", URL: url, Tags: []string{"internal"},
		Auth: config.Auth{Type: config.AuthOAuth2, Flow: config.FlowAuthorizationCode, ClientID: "mcpwatch-wiki"}},
		"skipped: oauth2 authorization_code needs a user login"}, err
}

func (f *Fleet) metrics() (member, error) {
	token := f.secrets[EnvBearer]
	url, err := f.plain(newMCP("metrics", "1.12.0",
		toolSpec{"query_metrics", "Run a PromQL query", []string{"query"}},
		toolSpec{"list_alerts", "List firing alerts", nil},
	), func(h http.Handler) http.Handler { return requireBearer(token, "metrics", h) })
	return member{config.Server{Name: "metrics", URL: url, Tags: []string{"prod", "observability"},
		Auth: config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: EnvBearer}}},
		"healthy: static bearer token, checked by the server"}, err
}

func (f *Fleet) helpdesk() (member, error) {
	url, err := f.plain(newMCP("helpdesk", "0.8.5",
		toolSpec{"search_tickets", "Search support tickets", []string{"query"}},
		toolSpec{"get_ticket", "Fetch a ticket with its history", []string{"ticket_id"}},
	), legacyEra)
	return member{config.Server{Name: "helpdesk", URL: url, Tags: []string{"prod", "legacy"}},
		"healthy: a 2025-era server, no server/discover, ping unsupported (-32601); liveness by tools/list"}, err
}
