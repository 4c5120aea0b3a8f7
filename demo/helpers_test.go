package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/config"
)

// startFleet starts a fleet that closes with the test.
func startFleet(t *testing.T) *Fleet {
	t.Helper()
	f, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func serverNamed(t *testing.T, f *Fleet, name string) config.Server {
	t.Helper()
	for _, s := range f.Config().Servers {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no server %q in the fleet", name)
	return config.Server{}
}

// httpClient has its own transport, closed with the test, so that no
// keep-alive goroutine outlives it.
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, c *http.Client, method, u, contentType, body string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// rpc posts one JSON-RPC request. initialize gets the params of a
// 2025-11-25 client, which mcp-go's server answers without further headers.
func rpc(t *testing.T, c *http.Client, u, method string, header map[string]string) reply {
	t.Helper()
	params := `{}`
	if method == "initialize" {
		params = `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"demo-test","version":"0"}}`
	}
	return do(t, c, http.MethodPost, u, "application/json",
		`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":`+params+`}`, header)
}

// token asks the fleet's token endpoint for a client-credentials token.
func token(t *testing.T, c *http.Client, f *Fleet, clientID, secret string, kv ...string) reply {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	_ = json.NewDecoder(resp.Body).Decode(&r.body)
	return r
}

// connect opens a real MCP session to s with mcp-go's client, as the probe
// would, and closes it with the test.
func connect(t *testing.T, s config.Server, header map[string]string) (*client.Client, *mcp.InitializeResult) {
	t.Helper()
	hc := httpClient(t)
	var cl *client.Client
	var err error
	if s.Transport == config.TransportSSE {
		// Pinned to the handshake era, as the probe does for legacy SSE.
		var tr *transport.SSE
		tr, err = transport.NewSSE(s.URL, transport.WithHTTPClient(hc), transport.WithHeaders(header))
		if err == nil {
			cl = client.NewClient(tr, client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION))
		}
	} else {
		cl, err = client.NewStreamableHttpClient(s.URL, transport.WithHTTPBasicClient(hc), transport.WithHTTPHeaders(header))
	}
	if err != nil {
		t.Fatal(err)
	}
	// The SSE stream lives on Start's context, so it must outlive the test body.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(func() {
		_ = cl.Close()
		cancel()
	})
	if err := cl.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "demo-test", Version: "0"}
	init, err := cl.Initialize(ctx, req)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return cl, init
}

// toolNames lists the server's tools.
func toolNames(t *testing.T, cl *client.Client) []string {
	t.Helper()
	res, err := cl.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}
