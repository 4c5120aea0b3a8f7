package tui

import (
	"testing"

	"github.com/mcpwatch/mcpwatch/probe"
)

// versionedFake is a fakeSource whose version moves at every snapshot
// taken, as a pool's does while its fleet is checked continuously.
type versionedFake struct{ *fakeSource }

func (v versionedFake) Version() uint64 { return v.fakeSource.peek().Version + 1 }

func (v versionedFake) Snapshot() *probe.Snapshot {
	snap := v.fakeSource.Snapshot()
	v.fakeSource.set(func(*probe.Snapshot) {}) // the next one is newer
	return snap
}

// TestViewersShareSnapshot: dashboards of one source polling within
// shareWindow of each other take one snapshot between them; a recheck
// makes the next poll take its own.
func TestViewersShareSnapshot(t *testing.T) {
	fake := newFake(bigFleet(200))
	src := &versionedFake{fake}
	viewers := make([]Model, 10)
	for i := range viewers {
		viewers[i] = newModel(src, 160, 48)
	}
	before := fake.taken()
	for i := range viewers {
		viewers[i].poll()
	}
	if n := fake.taken() - before; n != 1 {
		t.Fatalf("10 viewers polling at once took %d snapshots, want 1", n)
	}
	for i := range viewers[1:] {
		if viewers[i+1].snap != viewers[0].snap || viewers[i+1].all != viewers[0].all {
			t.Fatal("viewers polling at once show different snapshots or sorts")
		}
	}
	viewers[3] = keys(viewers[3], "r")
	before = fake.taken()
	viewers[3].poll()
	if n := fake.taken() - before; n != 1 {
		t.Fatalf("the poll after a recheck took %d snapshots, want its own 1", n)
	}
}

// peek is the current snapshot, not counted as taken.
func (f *fakeSource) peek() *probe.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// taken counts the snapshots taken.
func (f *fakeSource) taken() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshots
}
