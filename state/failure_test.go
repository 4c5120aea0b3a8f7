package state

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mcpwatch/mcpwatch/probe"
)

// seed writes a small history to dir and returns its events, newest first.
func seed(t *testing.T, dir string, c *clock) []probe.Event {
	t.Helper()
	s := openTest(t, dir, c)
	want := fleetHistory(s, c.now())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// stillThere reopens dir and checks that it holds want: nothing stored was lost.
func stillThere(t *testing.T, dir string, c *clock, want []probe.Event) {
	t.Helper()
	s := openTest(t, dir, c)
	if n := s.Notice(); n != "" {
		t.Fatalf("reopening %s: %s", dir, n)
	}
	sameEvents(t, "what was stored", s.Events(Query{})[len(s.Events(Query{}))-len(want):], want)
	_ = s.Close()
}

// worksInMemory checks that a store that could not use its dir still
// keeps new history for the views.
func worksInMemory(t *testing.T, s *Store, c *clock) {
	t.Helper()
	ev := statusEvent("new", c.now(), probe.StatusUnknown, probe.StatusHealthy)
	s.RecordEvent(ev)
	s.RecordResult(result("new", c.now(), probe.StatusHealthy))
	s.Flush()
	if got := s.Events(Query{Servers: []string{"new"}}); len(got) != 1 {
		t.Errorf("in memory: events %+v, want the new one", got)
	}
	if got := s.Uptime("new").Hour; got != (Window{1, 1}) {
		t.Errorf("in memory: uptime %+v", got)
	}
}

func TestSecondProcessOnTheSameDir(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	want := seed(t, dir, c)

	// Another mcpwatch: this test binary, holding the dir until stdin closes.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		_ = stdin.Close()
		_ = cmd.Wait()
		t.Fatalf("the other process said %q", line)
	}

	s := openTest(t, dir, c)
	wantMsg := fmt.Sprintf("state dir %s is in use by another mcpwatch (pid %d); history is kept in memory until it is free", dir, cmd.Process.Pid)
	if got := s.Notice(); got != wantMsg {
		t.Errorf("notice = %q\nwant     %q", got, wantMsg)
	}
	worksInMemory(t, s, c)
	_ = s.Close()

	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the other process: %v", err)
	}
	stillThere(t, dir, c, want)
}

func TestSecondStoreInOneProcess(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	first := openTest(t, dir, c)
	second := openTest(t, dir, c)
	if n := second.Notice(); !strings.Contains(n, "is in use by another mcpwatch (pid ") {
		t.Errorf("notice = %q", n)
	}
	if n := first.Notice(); n != "" {
		t.Errorf("the first store got a notice: %q", n)
	}
}

// unreadableCases are files a store cannot read; each is moved aside.
var unreadableCases = []struct {
	name  string
	make  func(t *testing.T, path string)
	cause string
}{
	{"text file", func(t *testing.T, path string) {
		writeFile(t, path, bytes.Repeat([]byte("this is not a database\n"), 500))
	}, "invalid database"},
	{"foreign bbolt", func(t *testing.T, path string) {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = db.Update(func(tx *bolt.Tx) error {
			b, _ := tx.CreateBucket([]byte("widgets"))
			return b.Put([]byte("k"), []byte("v"))
		})
		_ = db.Close()
	}, "not an mcpwatch history"},
	{"damaged pages", func(t *testing.T, path string) {
		c := newClock(base)
		seed(t, filepath.Dir(path), c)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 4 * 4096; i < len(data); i++ { // past the meta and freelist pages
			data[i] = 0xA5
		}
		writeFile(t, path, data)
	}, ""},
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUnreadableFileIsMovedAsideNeverDeleted(t *testing.T) {
	for _, tc := range unreadableCases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(base)
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			tc.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := openTest(t, dir, c)
			n := s.Notice()
			asides, _ := filepath.Glob(path + ".unreadable-*")
			if len(asides) != 1 {
				t.Fatalf("moved aside: %v (notice %q)", asides, n)
			}
			wantStart := fmt.Sprintf("state file %s was unreadable (", path)
			wantEnd := fmt.Sprintf("); moved to %s, a new one is started next run; history is kept in memory", filepath.Base(asides[0]))
			if !strings.HasPrefix(n, wantStart) || !strings.HasSuffix(n, wantEnd) || !strings.Contains(n, tc.cause) {
				t.Errorf("notice = %q\nwant %q…%q…%q", n, wantStart, tc.cause, wantEnd)
			}
			after, err := os.ReadFile(asides[0])
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("the file moved aside is not the file as it was (err %v)", err)
			}
			worksInMemory(t, s, c)
			_ = s.Close()
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("a store kept in memory wrote %s anyway (%v)", path, err)
			}
			// The next run starts a new file.
			s2 := openTest(t, dir, c)
			if n := s2.Notice(); n != "" {
				t.Errorf("next run: %s", n)
			}
		})
	}
}

func TestNewerSchemaIsLeftAlone(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket(bMeta)
		return b.Put(keySchema, []byte("mcpwatch.state/9"))
	})
	_ = db.Close()
	before, _ := os.ReadFile(path)
	s := openTest(t, dir, c)
	want := fmt.Sprintf("state file %s was written by another mcpwatch version (mcpwatch.state/9; this one reads %s); it is left as it is and history is kept in memory", path, Schema)
	if got := s.Notice(); got != want {
		t.Errorf("notice = %q\nwant     %q", got, want)
	}
	worksInMemory(t, s, c)
	_ = s.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a newer version's file was changed")
	}
}

// mountTmpfs mounts a tmpfs of size on a new dir, or skips: it needs root
// and a kernel that lets this process mount.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the fault-injector variant covers the same path")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the fault-injector variant covers the same path", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

func TestReadOnlyDir(t *testing.T) {
	c := newClock(base)
	var dir string
	if os.Geteuid() == 0 {
		// Root writes through any mode bits: use a read-only file system.
		dir = filepath.Join(mountTmpfs(t, "size=4m"), "state")
	} else {
		dir = filepath.Join(t.TempDir(), "state")
	}
	want := seed(t, dir, c)
	if os.Geteuid() == 0 {
		remount(t, filepath.Dir(dir), "ro")
		t.Cleanup(func() { remount(t, filepath.Dir(dir), "rw") })
	} else {
		for _, f := range []string{FileName, LockName} {
			if err := os.Chmod(filepath.Join(dir, f), 0o400); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	}
	before, _ := os.ReadFile(filepath.Join(dir, FileName))

	s := openTest(t, dir, c)
	n := s.Notice()
	if !strings.HasPrefix(n, "state dir "+dir+" is not writable (") ||
		!strings.HasSuffix(n, "); history is kept in memory (what it held before is shown)") {
		t.Errorf("notice = %q", n)
	}
	sameEvents(t, "the old history, read-only", s.Events(Query{}), want)
	worksInMemory(t, s, c)
	_ = s.Close()
	if after, _ := os.ReadFile(filepath.Join(dir, FileName)); !bytes.Equal(before, after) {
		t.Error("the file changed in a read-only dir")
	}
}

func TestFullDiskFaultInjected(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	var full atomic.Bool
	noSpace := &os.PathError{Op: "write", Path: filepath.Join(dir, FileName), Err: syscall.ENOSPC}
	s := openTest(t, dir, c, func(o *Options) {
		o.fault = func() error {
			if full.Load() {
				return noSpace
			}
			return nil
		}
	})
	var notices []string
	s.opts.OnNotice = func(n string) { notices = append(notices, n) } // the writer goroutine runs only in Flush
	first := fleetHistory(s, c.now())
	s.Flush()

	full.Store(true)
	c.add(time.Minute)
	during := statusEvent("pay", c.now(), probe.StatusUnhealthy, probe.StatusHealthy)
	s.RecordEvent(during)
	s.RecordResult(result("pay", c.now(), probe.StatusHealthy))
	s.Flush()
	want := fmt.Sprintf("cannot write history to %s (no space left on device) since %s; what it holds is kept, new history is kept in memory and written when a retry succeeds",
		filepath.Join(dir, FileName), c.now().Format("15:04:05"))
	if got := s.Notice(); got != want {
		t.Errorf("notice = %q\nwant     %q", got, want)
	}
	if got := s.Events(Query{Limit: 1}); len(got) != 1 || got[0].Reason != during.Reason {
		t.Errorf("views lost the event the disk refused: %+v", got)
	}
	// What was stored before is all there.
	a, err := openArchive(dir, c.now())
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := a.Events(Query{})
	sameEvents(t, "stored before the disk filled", evs, first)
	_ = a.Close()

	// The disk has room again: the next retry writes what waited.
	full.Store(false)
	s.Flush() // too early: the retry is 5s away
	if s.Notice() == "" {
		t.Error("retried before the retry was due")
	}
	c.add(6 * time.Second)
	s.Flush()
	if n := s.Notice(); n != "" {
		t.Errorf("after the retry: %q", n)
	}
	if len(notices) != 2 || notices[1] != "" {
		t.Errorf("OnNotice saw %q, want the problem then \"\"", notices)
	}
	_ = s.Close()
	stillThere(t, dir, c, append([]probe.Event{during}, first...))
}

func TestFullDiskTmpfs(t *testing.T) {
	mnt := mountTmpfs(t, "size=96k")
	dir := filepath.Join(mnt, "state")
	c := newClock(base)
	s := openTest(t, dir, c)
	if n := s.Notice(); n != "" {
		t.Fatalf("open on a small tmpfs: %s", n)
	}
	reason := strings.Repeat("r", 400)
	var stored []probe.Event
	for i := 0; s.Notice() == ""; i++ {
		if i > 2000 {
			t.Fatal("96 KiB never filled")
		}
		ev := probe.Event{At: c.now(), Server: fmt.Sprintf("s%d", i%50), Kind: probe.EventWarning, To: "flapping", Class: "flapping", Reason: fmt.Sprint(i, reason)}
		s.RecordEvent(ev)
		s.Flush()
		if s.Notice() == "" {
			stored = append([]probe.Event{ev}, stored...)
		}
		c.add(time.Second)
	}
	n := s.Notice()
	if !strings.HasPrefix(n, "cannot write history to "+filepath.Join(dir, FileName)+" (no space left on device) since ") {
		t.Errorf("notice = %q", n)
	}
	// Everything written before the disk filled is intact and readable.
	a, err := openArchive(dir, c.now())
	if err != nil {
		t.Fatalf("reading a full disk's history: %v", err)
	}
	evs, err := a.Events(Query{})
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	if len(stored) < 5 {
		t.Fatalf("only %d events fitted; the test says little", len(stored))
	}
	sameEvents(t, "stored before the disk filled", evs, stored)

	// Room again: a retry writes what waited in memory.
	remount(t, mnt, "size=8m")
	c.add(10 * time.Second)
	s.Flush()
	if n := s.Notice(); n != "" {
		t.Fatalf("after the disk got room: %s", n)
	}
	total := len(s.Events(Query{}))
	_ = s.Close()
	a, err = openArchive(dir, c.now())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	evs, _ = a.Events(Query{})
	if len(evs) != total {
		t.Errorf("after the retry the file holds %d events, memory %d", len(evs), total)
	}
}

func TestStateFileThatIsNotAFile(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	s := openTest(t, dir, c)
	want := fmt.Sprintf("state file %s is a named pipe (FIFO), not a regular file; it is left as it is and history is kept in memory", path)
	if got := s.Notice(); got != want {
		t.Errorf("notice = %q\nwant     %q", got, want)
	}
	worksInMemory(t, s, c)
	if _, err := OpenArchive(dir); err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO), not a regular file") {
		t.Errorf("archive of a FIFO: %v", err)
	}
}
