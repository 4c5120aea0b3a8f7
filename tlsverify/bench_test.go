package tlsverify_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

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

// BenchmarkLoad: what each check pays to load a 100-certificate CA bundle
// (the size of a system bundle), unchanged since the last check and
// touched before each (a miss: read and parsed, as before the cache).
func BenchmarkLoad(b *testing.B) {
	var bundle []byte
	for i := range 100 {
		bundle = append(bundle, must(pki.NewCA(fmt.Sprintf("Bench Root %d", i), now.Add(-day), now.Add(365*day))).PEM()...)
	}
	s := tlsverify.Settings{CAFile: write(b, "bundle.pem", bundle)}
	for _, changed := range []bool{false, true} {
		b.Run(fmt.Sprintf("changed=%t", changed), func(b *testing.B) {
			b.ReportAllocs()
			at := now
			for b.Loop() {
				if changed {
					at = at.Add(time.Second)
					if err := os.Chtimes(s.CAFile, at, at); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := tlsverify.Load(context.Background(), s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
