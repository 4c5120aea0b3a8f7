package tlsverify_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/tlsverify"
	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// TestRotatedFilesAreUsed: a CA or client certificate rewritten in place, or
// swapped in by rename (as Kubernetes secret mounts do), is used by the next
// connection, even when Load saw the old file a moment ago.
func TestRotatedFilesAreUsed(t *testing.T) {
	rootA := must(pki.NewCA("Root A", now.Add(-day), now.Add(365*day)))
	rootB := must(pki.NewCA("Root B", now.Add(-day), now.Add(365*day)))
	clientCA := must(pki.NewCA("Client CA", now.Add(-day), now.Add(365*day)))
	ts := serve(t, must(rootA.Server([]string{"127.0.0.1"}, now.Add(-day), now.Add(40*day))), clientCA.Pool())
	dir := t.TempDir()
	caFile, certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key")
	put := func(path string, data []byte, mtime time.Time) {
		t.Helper()
		tmp := path + ".new"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	stamp := now.Add(-time.Hour).Truncate(time.Second)
	other := must(rootB.Client("other", now.Add(-day), now.Add(40*day))) // not trusted by the server
	put(caFile, rootB.PEM(), stamp)
	put(certFile, other.CertPEM(), stamp)
	put(keyFile, must(other.KeyPEM()), stamp)
	s := tlsverify.Settings{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}
	if _, err := get(t, ts.URL, s); err == nil {
		t.Fatal("fixture: root B should not verify the server")
	}
	// Same mtime, swapped by rename: only the file's identity tells.
	put(caFile, rootA.PEM(), stamp)
	if info, _ := get(t, ts.URL, s); info == nil || !info.Verified {
		t.Fatalf("after the CA was rotated: %+v", info)
	}
	// Rewritten in place, mtime moved.
	good := must(clientCA.Client("mcpwatch", now.Add(-day), now.Add(40*day)))
	for path, data := range map[string][]byte{certFile: good.CertPEM(), keyFile: must(good.KeyPEM())} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		later := stamp.Add(time.Minute)
		if err := os.Chtimes(path, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := get(t, ts.URL, s); err != nil {
		t.Fatalf("after the client certificate was rotated: %v", err)
	}
}
