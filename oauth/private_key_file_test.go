//go:build unix

package oauth_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/oauth"
)

// A private_key_file that is a device or a FIFO is refused at once: it is
// never read without bound (/dev/zero) and never waited on (a FIFO).
func TestPrivateKeyFileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "key.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero.pem")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"device", "/dev/zero", "cannot be read: is a character device, not a regular file"},
		{"link to a device", link, "cannot be read: is a character device, not a regular file"},
		{"FIFO", fifo, "cannot be read: is a named pipe (FIFO), not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- oauth.CheckPrivateKeyFile(tt.path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "private key file "+tt.path+": "+tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("CheckPrivateKeyFile blocked for 10s")
			}
		})
	}
}
