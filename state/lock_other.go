//go:build !unix

package state

import "os"

// dirLock on systems without flock is the file alone: bbolt's own lock
// still keeps two writers from one batch at a time, but a second mcpwatch
// is not told apart from a reader.
type dirLock struct{ f *os.File }

type errLocked struct{ pid int }

func (e errLocked) Error() string { return "locked" }

func lockDir(path string) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}
