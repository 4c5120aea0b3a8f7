package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"time"
)

// Watcher reloads a config file when its content changes, or at once when
// Trigger is called (SIGHUP). It polls the content rather than using file
// events: editors replace files by rename, config management writes through
// symlinks, and a content hash is right in every case. It reads like Load:
// regular files of at most MaxFileSize only, so a config replaced by a FIFO
// or a device is an error to show, not a hang; a read that hangs anyway ends
// with ctx.
//
// A poll reads the file only when its stat may say it changed: at 10,000
// servers the file is 2.6 MB, and reading and hashing it every second was
// about a tenth of an idle serve's CPU.
type Watcher struct {
	path    string
	every   time.Duration
	trigger chan struct{}
	last    [sha256.Size]byte
	seen    os.FileInfo // stat taken just before the content last read
	seenAt  time.Time   // when that stat was taken
	reads   int         // content reads, for tests
}

// timestampTick is the longest a file's modification time may stay the
// same across two writes (coarse kernel clocks, FAT's 2 s): a stat whose
// mtime was younger than that when it was taken proves nothing.
const timestampTick = 2 * time.Second

// NewWatcher watches path. applied is the config already running, loaded
// from path: any content other than the one it was parsed from is a change,
// even an edit made before the watcher started. With applied nil the
// file's current content is taken as applied.
func NewWatcher(path string, every time.Duration, applied *File) *Watcher {
	w := &Watcher{path: path, every: every, trigger: make(chan struct{}, 1)}
	switch {
	case applied != nil:
		w.last = applied.Digest
	default:
		if data, err := readFile(context.Background(), path); err == nil {
			w.last = sha256.Sum256(data)
		}
	}
	return w
}

// Trigger asks for a reload now, even if the content looks unchanged.
func (w *Watcher) Trigger() {
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// Run calls apply with each new version of the file until ctx ends: the
// loaded config, or the error that kept it from loading (an unreadable file,
// or Errors with file:line:col). Warnings come with either.
func (w *Watcher) Run(ctx context.Context, apply func(*File, []Warning, error)) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.trigger:
			forced = true
		}
		if !w.poll(ctx, forced, apply) {
			return
		}
	}
}

// poll reads the file when it may have changed (or when forced) and calls
// apply with a new version or a new error; false when ctx ended.
func (w *Watcher) poll(ctx context.Context, forced bool, apply func(*File, []Warning, error)) bool {
	now := time.Now()
	fi, statErr := os.Stat(w.path)
	if !forced && statErr == nil && w.unchanged(fi) {
		return true
	}
	w.seen, w.seenAt = nil, time.Time{}
	w.reads++
	data, err := readFile(ctx, w.path)
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		if forced || w.last != [sha256.Size]byte{} {
			w.last = [sha256.Size]byte{}
			apply(nil, nil, err)
		}
		return true
	}
	if statErr == nil {
		w.seen, w.seenAt = fi, now
	}
	sum := sha256.Sum256(data)
	if sum == w.last && !forced {
		return true
	}
	w.last = sum
	f, warnings, err := Parse(w.path, bytes.Clone(data))
	apply(f, warnings, err)
	return true
}

// unchanged reports whether fi is the file last read, as it was: the same
// file (device and inode: a rename over it is a change), size and mtime,
// and that mtime was already older than a timestamp tick when it was read.
func (w *Watcher) unchanged(fi os.FileInfo) bool {
	p := w.seen
	return p != nil && os.SameFile(p, fi) && p.Size() == fi.Size() && p.ModTime().Equal(fi.ModTime()) &&
		w.seenAt.Sub(p.ModTime()) > timestampTick
}
