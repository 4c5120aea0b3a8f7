//go:build unix

package config

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// Files named by a config or a flag that are not config or secret files:
// each must be refused at once with what the path is, never read without
// bound and never waited on.

// specialFiles makes a FIFO, a directory, a socket and links to /dev/zero
// and to a regular file, all in a fresh directory.
type specialFiles struct {
	dir, fifo, sock, zeroLink, regular, regularLink string
}

func newSpecialFiles(t *testing.T, content string) specialFiles {
	t.Helper()
	s := specialFiles{dir: t.TempDir()}
	s.fifo = filepath.Join(s.dir, "fifo")
	if err := syscall.Mkfifo(s.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sockDir, err := os.MkdirTemp("", "cfg") // socket paths are short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	s.sock = filepath.Join(sockDir, "s")
	ln, err := net.Listen("unix", s.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s.zeroLink = filepath.Join(s.dir, "zero")
	if err := os.Symlink("/dev/zero", s.zeroLink); err != nil {
		t.Fatal(err)
	}
	s.regular = filepath.Join(s.dir, "regular")
	if err := os.WriteFile(s.regular, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s.regularLink = filepath.Join(s.dir, "link")
	if err := os.Symlink(s.regular, s.regularLink); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	s := newSpecialFiles(t, minimal)
	const hint = "; give the path of the config file itself (a symlink to one is fine)"
	for _, tt := range []struct{ name, path, what string }{
		{"directory", s.dir, "is a directory, not a regular file"},
		{"FIFO", s.fifo, "is a named pipe (FIFO), not a regular file"},
		{"device", "/dev/zero", "is a character device, not a regular file"},
		{"link to a device", s.zeroLink, "is a character device, not a regular file"},
		{"socket", s.sock, "is a socket, not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			within(t, func() { _, _, err = Load(tt.path) })
			if want := "read config: " + tt.path + " " + tt.what + hint; err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant  %s", err, want)
			}
			if !errors.Is(err, boundedfile.ErrNotRegular) {
				t.Error("err does not match boundedfile.ErrNotRegular")
			}
		})
	}
	if f, _, err := Load(s.regularLink); err != nil || len(f.Servers) != 1 {
		t.Fatalf("a symlink to a config must load: %v", err)
	}
}

func TestLoadRefusesAFileOverTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte(minimal+strings.Repeat("#", 5<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path)
	want := "read config: " + path + " is larger than 4 MiB (it is 5 MiB), the most a config file may hold; is it the right file?"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if !errors.Is(err, boundedfile.ErrTooLarge) {
		t.Error("err does not match boundedfile.ErrTooLarge")
	}
	// Just under the limit still loads: comments are not the problem.
	if err := os.WriteFile(path, []byte(minimal+strings.Repeat("#", MaxFileSize-len(minimal)-1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err != nil {
		t.Fatalf("a file of exactly MaxFileSize: %v", err)
	}
}

// The live-reload watcher reads the same way: a config replaced by a FIFO
// or a device is an error shown in the views, not a hang or a memory bomb.
func TestWatcherRefusesWhatIsNotARegularFile(t *testing.T) {
	s := newSpecialFiles(t, minimal)
	path := filepath.Join(s.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(path, time.Hour, nil) // only Trigger reloads
	events := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.Run(ctx, func(_ *File, _ []Warning, err error) { events <- err })
		close(done)
	}()
	defer func() { cancel(); <-done }()
	for _, tt := range []struct{ name, target string }{
		{"FIFO", s.fifo},
		{"device", "/dev/zero"},
	} {
		os.Remove(path)
		if err := os.Symlink(tt.target, path); err != nil {
			t.Fatal(err)
		}
		w.Trigger()
		select {
		case err := <-events:
			if !errors.Is(err, boundedfile.ErrNotRegular) || !strings.HasPrefix(err.Error(), "read config: "+path+" is a ") {
				t.Fatalf("%s: err = %v", tt.name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no reload within 10s (blocked?)", tt.name)
		}
	}
}

func TestSecretFileRefusesWhatIsNotASecretFile(t *testing.T) {
	s := newSpecialFiles(t, "s3cret\n")
	big := filepath.Join(s.dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxSecretFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"device", "/dev/zero", "is a character device, not a regular file"},
		{"link to a device", s.zeroLink, "is a character device, not a regular file"},
		{"FIFO", s.fifo, "is a named pipe (FIFO), not a regular file"},
		{"directory", s.dir, "is a directory, not a regular file"},
		{"too large", big, "is larger than 64 KiB (it is 65537 bytes)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			within(t, func() { _, err = Secret{File: tt.path}.Resolve() })
			if want := "secret file " + tt.path + " cannot be read: " + tt.want; err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant  %s", err, want)
			}
		})
	}
	if v, err := (Secret{File: s.regularLink}).Resolve(); err != nil || v != "s3cret" {
		t.Fatalf("a symlink to a secret file: %q, %v", v, err)
	}
}

func TestSecretResolveContext(t *testing.T) {
	s := newSpecialFiles(t, "s3cret\n")
	if v, err := (Secret{File: s.regular}).ResolveContext(context.Background()); err != nil || v != "s3cret" {
		t.Fatalf("ResolveContext = %q, %v", v, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Secret{File: s.regular}.ResolveContext(ctx)
	if !errors.Is(err, context.Canceled) || err.Error() != "secret file "+s.regular+" cannot be read: context canceled" {
		t.Fatalf("err = %v", err)
	}
	// Env and literal secrets read nothing, so a done context does not matter.
	if v, err := (Secret{Literal: "x"}).ResolveContext(ctx); err != nil || v != "x" {
		t.Fatalf("literal: %q, %v", v, err)
	}
}

// Paths in secret errors come from the file; control characters in them are
// spelled out, not sent to the terminal.
func TestSecretFileErrorEscapesThePath(t *testing.T) {
	_, err := Secret{File: "/nonexistent/\x1b[2Jx"}.Resolve()
	if err == nil || strings.ContainsRune(err.Error(), 0x1b) || !strings.Contains(err.Error(), `\x1b[2Jx`) {
		t.Fatalf("err = %q", err)
	}
}
