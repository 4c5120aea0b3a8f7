package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// A store that found its dir in use by another mcpwatch takes it when that
// one exits: what the other wrote stays, what this one saw meanwhile (its
// events and last states) is added, and from then on it writes. Before,
// it kept history in memory until it exited, and a serve started while a
// dashboard held the dir never wrote again.
func TestStoreRetakesItsDirWhenFree(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	holder := openTest(t, dir, c)
	holder.RecordEvent(statusEvent("docs", base.Add(-time.Hour), probe.StatusUnknown, probe.StatusHealthy))
	holder.RecordResult(result("docs", base.Add(-time.Hour), probe.StatusHealthy))
	holder.Flush()

	s := openTest(t, dir, c)
	if n := s.Notice(); !strings.Contains(n, "is in use by another mcpwatch") || !strings.Contains(n, "until it is free") {
		t.Fatalf("notice %q", n)
	}
	payDown := statusEvent("pay", base.Add(-30*time.Minute), probe.StatusUnknown, probe.StatusUnhealthy)
	s.RecordEvent(payDown)
	s.RecordResult(result("pay", base.Add(-30*time.Minute), probe.StatusUnhealthy))
	s.Flush()

	// The holder still runs; the pid its lock file names (as a new holder
	// would have written it) is what the notice says.
	if err := os.WriteFile(filepath.Join(dir, LockName), []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.add(retakeEvery)
	s.Flush()
	if n := s.Notice(); !strings.Contains(n, "in use by another mcpwatch (pid 4242)") {
		t.Fatalf("notice %q while the dir is still held", n)
	}
	_ = holder.Close()
	s.Flush() // too soon after the last try
	if s.Notice() == "" {
		t.Fatal("retook the dir before retakeEvery passed")
	}
	c.add(retakeEvery)
	s.Flush()
	if n := s.Notice(); n != "" {
		t.Fatalf("notice %q after the holder exited", n)
	}
	evs := s.Events(Query{})
	if len(evs) != 2 || evs[0].Server != "pay" || evs[1].Server != "docs" {
		t.Fatalf("events after the retake %+v, want pay's (this store's) and docs' (the holder's)", evs)
	}
	if ls := s.LastStates(); ls["pay"].Status != probe.StatusUnhealthy || ls["docs"].Status != probe.StatusHealthy {
		t.Fatalf("last states %+v", ls)
	}
	s.RecordResult(result("pay", c.now(), probe.StatusUnhealthy))
	_ = s.Close()

	// Written: a new store (a restart) sees all of it, and the lock was let go.
	r := openTest(t, dir, c)
	if n := r.Notice(); n != "" {
		t.Fatalf("reopened: notice %q (the retaken lock was not released?)", n)
	}
	evs = r.Events(Query{})
	if len(evs) != 2 || evs[0].Server != "pay" || evs[1].Server != "docs" {
		t.Fatalf("events after a restart %+v", evs)
	}
	if ls := r.LastStates(); ls["pay"].Status != probe.StatusUnhealthy || !ls["pay"].Since.Equal(payDown.At) {
		t.Fatalf("pay's last state after a restart %+v", ls["pay"])
	}
	if u := r.Uptime("pay"); u.Hour.Checked != 1 {
		t.Fatalf("pay's checks in the last hour %+v: want the one made after the retake", u.Hour)
	}
}

// Pins recorded while the dir was held are merged with the file's at the
// retake: a pin in the file (mcpwatch pin, through the holder) wins.
func TestRetakeMergesPins(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	holder := openTest(t, dir, c)
	holder.RecordInventory("docs", probe.SavedInventory{Pinned: inv("d1"), Latest: inv("d1")})
	holder.RecordInventory("pay", probe.SavedInventory{Pinned: inv("p2"), Latest: inv("p2")}) // accepted there
	holder.Flush()

	s := openTest(t, dir, c)
	s.RecordInventory("pay", probe.SavedInventory{Pinned: inv("p1"), Latest: inv("p2")})
	s.RecordInventory("wiki", probe.SavedInventory{Pinned: inv("w1"), Latest: inv("w1")})
	_ = holder.Close()
	c.add(retakeEvery)
	s.Flush()
	_ = s.Close()
	got, err := ReadInventories(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got["docs"].Pinned.Hash != "d1" || got["pay"].Pinned.Hash != "p2" || got["pay"].Latest.Hash != "p2" || got["wiki"].Pinned.Hash != "w1" {
		t.Fatalf("pins after the retake %+v", got)
	}
}
