//go:build unix

package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// config import reads its input the way configs are read: a regular file of
// at most config.MaxFileSize bytes, never a device or a FIFO.
func TestConfigImportRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "mcp.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", config.MaxFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"FIFO", fifo, "read " + fifo + ": is a named pipe (FIFO), not a regular file; give the path of the file to import itself (a symlink to one is fine)"},
		{"device", "/dev/zero", "read /dev/zero: is a character device, not a regular file; give the path of the file to import itself (a symlink to one is fine)"},
		{"too large", big, "read " + big + ": is larger than 4 MiB (it is 4194305 bytes), the most an imported file may hold; is it the right file?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var stdout, stderr string
			done := make(chan struct{})
			go func() {
				defer close(done)
				code, stdout, stderr = runCLI(t, "config", "import", "--from", "mcp-json", tc.file)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("config import blocked for 10s")
			}
			if code != ExitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if want := "mcpwatch config import: " + tc.want + "\n"; stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
			}
		})
	}
}
