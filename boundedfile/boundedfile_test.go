//go:build unix

package boundedfile

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadRegularFile(t *testing.T) {
	p := write(t, "f", []byte("hello\n"))
	got, err := Read(p, 64)
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	// Exactly at the limit is fine; the limit is inclusive.
	if got, err := Read(p, 6); err != nil || string(got) != "hello\n" {
		t.Fatalf("at the limit: %q, %v", got, err)
	}
	// An empty file is a file.
	if got, err := Read(write(t, "empty", nil), 64); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q, %v", got, err)
	}
}

func TestReadFollowsSymlinkToRegularFile(t *testing.T) {
	p := write(t, "target", []byte("x"))
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(p, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if got, err := Read(link, 64); err != nil || string(got) != "x" {
		t.Fatalf("Read(link) = %q, %v", got, err)
	}
}

func TestReadTooLarge(t *testing.T) {
	p := write(t, "big", make([]byte, 100<<10))
	_, err := Read(p, 64<<10)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != p {
		t.Fatalf("err %#v does not name the path", err)
	}
	if got := pe.Err.Error(); got != "is larger than 64 KiB (it is 100 KiB)" {
		t.Errorf("message %q", got)
	}
	// Just over the limit, the size is given exactly.
	_, err = Read(write(t, "just", make([]byte, 64<<10+1)), 64<<10)
	if !errors.As(err, &pe) || pe.Err.Error() != "is larger than 64 KiB (it is 65537 bytes)" {
		t.Errorf("just over: %v", err)
	}
}

// A file whose size says nothing about its content (/proc, a file growing
// while it is read) is still read no further than the limit.
func TestReadStopsAtLimitWhateverStatSays(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	// /proc/self/maps reports size 0 and is several hundred bytes long.
	_, err := Read("/proc/self/maps", 16)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Err.Error() != "is larger than 16 B" {
		t.Errorf("message %v", err)
	}
}

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// A short path: socket paths are limited to about 100 bytes.
	sockDir, err := os.MkdirTemp("", "bf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	linkToZero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", linkToZero); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"directory", dir, "is a directory, not a regular file"},
		{"FIFO", fifo, "is a named pipe (FIFO), not a regular file"},
		{"character device", "/dev/zero", "is a character device, not a regular file"},
		{"link to a device", linkToZero, "is a character device, not a regular file"},
		{"socket", sock, "is a socket, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A FIFO without a writer blocks a plain open forever; the
			// test would hang rather than fail, so it runs with a deadline.
			done := make(chan error, 1)
			go func() { _, err := Read(tt.path, 64); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Read blocked")
			}
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("err = %v, want ErrNotRegular", err)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != tt.path || pe.Err.Error() != tt.want {
				t.Fatalf("err = %v, want %q naming %s", err, tt.want, tt.path)
			}
		})
	}
}

// The file is checked after it is opened too: a FIFO swapped in between
// the stat and the open is refused without blocking.
func TestReadChecksTheOpenedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	beforeOpen = func() {
		os.Remove(path)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { beforeOpen = func() {} })
	done := make(chan error, 1)
	go func() { _, err := Read(path, 64); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("err = %v, want a named pipe refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked on a FIFO swapped in after the stat")
	}
}

func TestReadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing")
	_, err := Read(p, 64)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	// Worded like os.ReadFile's error, which callers already handle.
	if err.Error() != "open "+p+": no such file or directory" {
		t.Errorf("message %q", err)
	}
}

func TestReadContextCancelled(t *testing.T) {
	p := write(t, "f", []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadContext(ctx, p, 64); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got, err := ReadContext(context.Background(), p, 64); err != nil || string(got) != "x" {
		t.Fatalf("ReadContext = %q, %v", got, err)
	}
}

// A read that hangs (a network file system that stopped answering) ends
// at the caller's deadline; the read itself is abandoned.
func TestReadContextReturnsAtDeadlineWhenTheReadHangs(t *testing.T) {
	p := write(t, "f", []byte("x"))
	release := make(chan struct{})
	entered := make(chan struct{})
	beforeOpen = func() { close(entered); <-release }
	t.Cleanup(func() { close(release); beforeOpen = func() {} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := ReadContext(ctx, p, 64); done <- err }()
	<-entered
	cancel()
	select {
	case err := <-done:
		var pe *fs.PathError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &pe) || pe.Path != p {
			t.Fatalf("err = %v, want context.Canceled naming the path", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadContext did not return when its context ended")
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 16: "16 B", 1023: "1023 B", 1 << 10: "1 KiB", 64 << 10: "64 KiB", 1536: "1.5 KiB",
		4 << 20: "4 MiB", 50 << 20: "50 MiB", 52428805: "50 MiB", 3 << 30: "3 GiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
