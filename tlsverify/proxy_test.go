package tlsverify_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// connectProxy is a real HTTP CONNECT proxy on loopback.
func connectProxy(t *testing.T) *url.URL {
	t.Helper()
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		down, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		// What the client sent after CONNECT may already sit in the
		// server's reader (its background read took a byte now and then):
		// it goes up first, or the server sees a ClientHello without its
		// first byte and the client an EOF.
		go func() { _, _ = io.Copy(up, brw.Reader); up.Close() }()
		_, _ = io.Copy(down, up)
		down.Close()
	}))
	t.Cleanup(ps.Close)
	u, _ := url.Parse(ps.URL)
	return u
}

// TestThroughAProxyToAnIPAddress: through a proxy, crypto/tls sends no
// name for an IP address, so the name to check is unknown: the refusal says
// to set server_name rather than "certificate is for 127.0.0.1, not ".
// With server_name set the certificate is verified.
func TestThroughAProxyToAnIPAddress(t *testing.T) {
	f := newFixture(t)
	ts := serve(t, must(f.root.Server([]string{"127.0.0.1"}, now.Add(-day), now.Add(40*day))), nil)
	proxy := connectProxy(t)
	get := func(s tlsverify.Settings) (*tlsverify.CertInfo, error) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		rec, err := tlsverify.Configure(context.Background(), tr, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr.Proxy = http.ProxyURL(proxy)
		resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
		if err == nil {
			resp.Body.Close()
		}
		return rec.Info(), err
	}
	_, err := get(tlsverify.Settings{CAFile: f.caFile})
	if err == nil || !strings.Contains(err.Error(), "set tls.server_name") {
		t.Fatalf("without server_name: %v", err)
	}
	if info, err := get(tlsverify.Settings{CAFile: f.caFile, ServerName: "127.0.0.1"}); err != nil || !info.Verified {
		t.Fatalf("with server_name: %v, %+v", err, info)
	}
}
