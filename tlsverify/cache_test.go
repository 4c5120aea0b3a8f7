package tlsverify

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/tlsverify/pki"
)

// TestUnchangedFilesAreParsedOnce: every check loads its server's TLS
// files; a fleet sharing one CA bundle must not parse it once per check.
func TestUnchangedFilesAreParsedOnce(t *testing.T) {
	now := time.Now()
	root, err := pki.NewCA("Root", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	client, err := root.Client("c", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := Settings{CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "c.pem"), KeyFile: filepath.Join(dir, "c.key")}
	for p, b := range map[string][]byte{s.CAFile: root.PEM(), s.CertFile: client.CertPEM(), s.KeyFile: key} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(context.Background(), Settings{CAFile: s.CAFile, CertFile: s.CertFile, KeyFile: s.KeyFile, ServerName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if a.roots != b.roots || &a.client[0] != &b.client[0] {
		t.Fatal("unchanged files were read and parsed again")
	}
}
