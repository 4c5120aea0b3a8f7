//go:build unix

package state

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// dirLock is the state dir's lock: one mcpwatch writes a state dir at a
// time. It is an flock on DIR/lock, held for the life of the store and let
// go by the kernel when the process ends, however it ends; the file holds
// the pid of its holder, for the message another process shows.
type dirLock struct{ f *os.File }

// errLocked: another process holds the lock; pid is 0 when unknown.
type errLocked struct{ pid int }

func (e errLocked) Error() string { return "locked" }

func lockDir(path string) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			buf := make([]byte, 32)
			n, _ := f.ReadAt(buf, 0)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
			return nil, errLocked{pid: max(pid, 0)}
		}
		return nil, err
	}
	// The pid is a courtesy for the message; failing to write it costs nothing.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release lets the lock go. The file stays: removing it would race with a
// process about to lock it.
func (l *dirLock) release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		_ = l.f.Close()
		l.f = nil
	}
}
