package tui

import (
	"reflect"
	"sync"
	"time"
	"weak"

	"github.com/mcpwatch/mcpwatch/probe"
)

// shareWindow is how long a snapshot one dashboard took serves the others
// of the same source. While a fleet is checked continuously its version
// moves between any two polls, so ten SSH viewers, each polling on its own
// phase, took ten snapshots and sorted ten fleets every pollEvery: a third
// of all serve allocated at 10,000 servers. Within the window they share one
// snapshot, and so one sorted fleet (sortFleet). It is below pollEvery, so
// a lone dashboard always takes a fresh one.
const shareWindow = pollEvery * 4 / 5

// sharedSnaps is, per source, the snapshot last taken and when, held weakly.
var sharedSnaps = struct {
	sync.Mutex
	m map[Source]sharedSnap
}{m: map[Source]sharedSnap{}}

type sharedSnap struct {
	snap weak.Pointer[probe.Snapshot]
	at   time.Time
}

// sharedSnapshot returns a snapshot of src taken less than shareWindow ago
// by any dashboard, else a new one. Only sources that version their
// snapshots share (a dashboard asks them only after the version moved), and
// only those a map can hold.
func sharedSnapshot(src Source) *probe.Snapshot {
	if _, ok := src.(versioned); !ok || !reflect.TypeOf(src).Comparable() {
		return src.Snapshot()
	}
	sharedSnaps.Lock()
	defer sharedSnaps.Unlock()
	now := time.Now()
	if s, ok := sharedSnaps.m[src]; ok && now.Sub(s.at) < shareWindow {
		if snap := s.snap.Value(); snap != nil {
			return snap
		}
	}
	snap := src.Snapshot() // under the lock: dashboards polling meanwhile wait for this one
	for k, s := range sharedSnaps.m {
		if now.Sub(s.at) >= shareWindow { // a source no dashboard polls any more is let go
			delete(sharedSnaps.m, k)
		}
	}
	if snap != nil {
		sharedSnaps.m[src] = sharedSnap{weak.Make(snap), now}
	}
	return snap
}

// forgetShared makes the next poll of src take a new snapshot: after a
// recheck the dashboard that asked should show it at once.
func forgetShared(src Source) {
	sharedSnaps.Lock()
	defer sharedSnaps.Unlock()
	if reflect.TypeOf(src).Comparable() {
		delete(sharedSnaps.m, src)
	}
}
