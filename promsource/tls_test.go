package promsource

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTLS: an HTTPS Prometheus with its own CA is read with --prometheus-ca,
// and refused without it (the system roots do not know it).
func TestTLS(t *testing.T) {
	ts := httptest.NewTLSServer(&fakeProm{data: twoVantages()})
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	read := func(caFile string) *Source {
		s, err := New(Options{URL: ts.URL, Refresh: time.Second, Timeout: 5 * time.Second, CAFile: caFile})
		must(t, err == nil, "%v", err)
		refresh(s)
		return s
	}
	snap := read(ca).Snapshot()
	must(t, snap.Notice == "" && len(snap.Servers) == 3, "with the CA: %q, %d servers", snap.Notice, len(snap.Servers))
	snap = read("").Snapshot()
	must(t, strings.Contains(snap.Notice, "cannot be reached") && strings.Contains(snap.Notice, "certificate"), "without the CA: %q", snap.Notice)

	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{URL: ts.URL, Refresh: time.Second, Timeout: time.Second, CAFile: bad})
	must(t, err != nil && strings.Contains(err.Error(), "no PEM certificate in it"), "bad CA: %v", err)
	_, err = New(Options{URL: ts.URL, Refresh: time.Second, Timeout: time.Second, CertFile: bad, KeyFile: bad})
	must(t, err != nil && strings.Contains(err.Error(), "not a matching PEM certificate and key"), "bad pair: %v", err)
}
