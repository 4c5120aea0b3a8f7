package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"time"
)

// Watcher reloads a config file when its content changes, or at once when
// Trigger is called (SIGHUP). It polls the content rather than using file
// events: editors replace files by rename, config management writes through
// symlinks, and a content hash is right in every case at the cost of reading
// a small file once a second. It reads like Load: regular files of at most
// MaxFileSize only, so a config replaced by a FIFO or a device is an error to
// show, not a hang; a read that hangs anyway ends with ctx.
type Watcher struct {
	path    string
	every   time.Duration
	trigger chan struct{}
	last    [sha256.Size]byte
}

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
		data, err := readFile(ctx, w.path)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if forced || w.last != [sha256.Size]byte{} {
				w.last = [sha256.Size]byte{}
				apply(nil, nil, err)
			}
			continue
		}
		sum := sha256.Sum256(data)
		if sum == w.last && !forced {
			continue
		}
		w.last = sum
		f, warnings, err := Parse(w.path, bytes.Clone(data))
		apply(f, warnings, err)
	}
}
