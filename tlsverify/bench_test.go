package tlsverify_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"testing"

	"github.com/mcpwatch/mcpwatch/tlsverify"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// BenchmarkHandshake: one https request on a fresh transport (as every
// check makes), verified by crypto/tls ("go") and by tlsverify, which reads
// the CA file, verifies itself and records the facts.
func BenchmarkHandshake(b *testing.B) {
	root := must(pki.NewCA("Bench Root", now.Add(-day), now.Add(365*day)))
	ts := serve(b, must(root.Server([]string{"127.0.0.1"}, now.Add(-day), now.Add(90*day))), nil)
	caFile := write(b, "ca.pem", root.PEM())
	get := func(b *testing.B, tr *http.Transport) {
		resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
	}
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = &tls.Config{RootCAs: root.Pool()}
			get(b, tr)
		}
	})
	b.Run("tlsverify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			if _, err := tlsverify.Configure(context.Background(), tr, tlsverify.Settings{CAFile: caFile}, nil); err != nil {
				b.Fatal(err)
			}
			get(b, tr)
		}
	})
}
