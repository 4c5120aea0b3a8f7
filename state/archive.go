package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mcpwatch/mcpwatch/boundedfile"
	"github.com/mcpwatch/mcpwatch/probe"
)

// archiveLockWait is how long OpenArchive waits for a writer's batch to end.
const archiveLockWait = 2 * time.Second

// ErrNoHistory: the state dir holds no history file yet.
var ErrNoHistory = errors.New("no history")

// Archive is a read-only look at a state dir's history file, for
// `mcpwatch history`. It works while a dashboard or serve writes the same
// dir: they open the file only for each batch, and the archive reads
// between two batches (holding the writer off for as long as it reads;
// the writer retries). Close it promptly.
type Archive struct {
	path  string
	db    *bolt.DB
	model *model
	now   time.Time
}

// OpenArchive opens the history in dir read-only and reads its uptime
// buckets and last states.
func OpenArchive(dir string) (*Archive, error) { return openArchive(dir, time.Now()) }

// openArchive reads the uptime windows ending at now.
func openArchive(dir string, now time.Time) (*Archive, error) {
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w in %s: nothing has been written there (the dashboard and serve write it unless --no-state; the demo with --state-dir)", ErrNoHistory, dir)
	case err == nil && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("state file %s is %s, not a regular file", path, boundedfile.Kind(fi.Mode()))
	}
	d := newDisk(path)
	db, err := d.open(true, archiveLockWait)
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("state file %s stayed locked for %v (a writer that does not let go); try again", path, archiveLockWait)
		case unreadable(err):
			return nil, fmt.Errorf("state file %s is unreadable (%s)", path, reason(err))
		}
		return nil, fmt.Errorf("state file %s cannot be opened (%s)", path, reason(err))
	}
	a := &Archive{path: path, db: db, model: newModel(1), now: now}
	empty, err := d.load(db, a.model, a.now, DefaultRetention)
	if err == nil && empty {
		err = fmt.Errorf("%w in %s yet: the file is new", ErrNoHistory, dir)
	}
	if err != nil {
		_ = db.Close()
		var newer errNewer
		if errors.As(err, &newer) || errors.Is(err, ErrNoHistory) {
			return nil, err
		}
		return nil, fmt.Errorf("state file %s is unreadable (%s)", path, reason(err))
	}
	a.model.events = nil
	return a, nil
}

// Close lets the file go.
func (a *Archive) Close() error { return a.db.Close() }

// Events returns the events q selects, newest first, from the file.
func (a *Archive) Events(q Query) (evs []probe.Event, err error) {
	defer guard(&err)
	err = a.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			ev, err := decodeEvent(v)
			if err != nil {
				return fmt.Errorf("state file %s holds a bad event: %w", a.path, err)
			}
			if !q.Since.IsZero() && ev.At.Before(q.Since) {
				return nil
			}
			if q.match(&ev) {
				evs = append(evs, ev)
				if q.Limit > 0 && len(evs) == q.Limit {
					return nil
				}
			}
		}
		return nil
	})
	return evs, err
}

// Servers lists the servers the file knows, sorted.
func (a *Archive) Servers() []string { return a.model.serverNames() }

// Uptime returns server's uptime over the hour, day and week before the
// archive was opened.
func (a *Archive) Uptime(server string) Uptime { return a.model.uptime(server, a.now) }

// LastStates returns the last known state of every server in the file.
func (a *Archive) LastStates() map[string]LastState { return a.model.lastStates() }
