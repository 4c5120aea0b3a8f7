package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

func inv(hash string) *probe.Inventory {
	return &probe.Inventory{Hash: hash, Items: []probe.InventoryItem{{Kind: probe.KindTool, Name: "search", Hash: hash, Description: "d " + hash}}}
}

// TestInventorySurvivesRestart: pins are written to the state dir and read
// back by the next store.
func TestInventorySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	c := newClock(base)
	s := openTest(t, dir, c)
	s.RecordInventory("docs", probe.SavedInventory{Pinned: inv("aa"), Latest: inv("bb")})
	s.Flush()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openTest(t, dir, c)
	got := s2.Inventories()["docs"]
	if got.Pinned == nil || got.Pinned.Hash != "aa" || got.Latest.Hash != "bb" || got.Latest.Items[0].Description != "d bb" {
		t.Fatalf("restored %+v", got)
	}
}

// TestPinWithoutRunningInstance: `mcpwatch pin` rewrites the file itself
// when no mcpwatch holds the dir.
func TestPinWithoutRunningInstance(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, newClock(base))
	s.RecordInventory("docs", probe.SavedInventory{Pinned: inv("aa"), Latest: inv("bb")})
	s.RecordInventory("pay", probe.SavedInventory{Pinned: inv("cc"), Latest: inv("dd")})
	s.RecordInventory("same", probe.SavedInventory{Pinned: inv("ee"), Latest: inv("ee")})
	_ = s.Close()
	out, err := PinInventory(dir, []string{"docs", "same"}, time.Second)
	if err != nil || out.RunningPID != 0 || !slices.Equal(out.Accepted, []string{"docs"}) {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	s2 := openTest(t, dir, newClock(base))
	if got := s2.Inventories(); got["docs"].Pinned.Hash != "bb" || got["pay"].Pinned.Hash != "cc" {
		t.Fatalf("after pin: docs %s, pay %s", got["docs"].Pinned.Hash, got["pay"].Pinned.Hash)
	}
}

// TestPinRequestToRunningInstance: while a store holds the dir, the request
// is answered by it (its pool accepts) and the answer comes back.
func TestPinRequestToRunningInstance(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, newClock(base), func(o *Options) { o.FlushEvery = 20 * time.Millisecond })
	var asked []string
	s.OnPinRequest(func(servers []string) []string { asked = servers; return []string{"docs"} })
	out, err := PinInventory(dir, []string{"docs"}, 10*time.Second)
	if err != nil || out.RunningPID != os.Getpid() || !slices.Equal(out.Accepted, []string{"docs"}) || !slices.Equal(asked, []string{"docs"}) {
		t.Fatalf("outcome %+v, %v; asked %v", out, err, asked)
	}
	if _, err := os.Stat(filepath.Join(dir, PinRequestName)); err == nil {
		t.Fatal("the request was left behind")
	}
}

// TestUnreadableInventoryIsMovedAside: a corrupt file costs the pins, not the store.
func TestUnreadableInventoryIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	_ = openTest(t, dir, newClock(base)).Close()
	if err := os.WriteFile(filepath.Join(dir, InventoryFileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, dir, newClock(base))
	if len(s.Inventories()) != 0 || s.Notice() != "" {
		t.Fatalf("inventories %v, notice %q", s.Inventories(), s.Notice())
	}
	if _, err := os.Stat(filepath.Join(dir, InventoryFileName)); err == nil {
		t.Fatal("the unreadable file was not moved aside")
	}
	// Said once, for serve's log and the dashboard's exit: where it went.
	aside, _ := filepath.Glob(filepath.Join(dir, InventoryFileName+".unreadable-*"))
	if len(aside) != 1 || !strings.Contains(s.InventoryNote(), "moved to "+filepath.Base(aside[0])) ||
		!strings.Contains(s.InventoryNote(), filepath.Join(dir, InventoryFileName)) {
		t.Fatalf("note %q, files aside %v", s.InventoryNote(), aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != "{not json" {
		t.Fatalf("moved aside changed: %q", b)
	}
}

// An unreadable pin file that cannot be moved aside is never written over:
// the pins of the run are kept in memory only, and the note says so.
func TestUnmovableInventoryIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	_ = openTest(t, dir, newClock(base)).Close()
	path := filepath.Join(dir, InventoryFileName)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	renameFile = func(from, to string) error {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EROFS}
	}
	t.Cleanup(func() { renameFile = os.Rename })
	s := openTest(t, dir, newClock(base))
	if !strings.Contains(s.InventoryNote(), "could not be moved aside") || !strings.Contains(s.InventoryNote(), "not written") {
		t.Fatalf("note %q", s.InventoryNote())
	}
	s.RecordInventory("docs", probe.SavedInventory{Pinned: inv("aa"), Latest: inv("aa")})
	_ = s.Close()
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatalf("the unreadable pin file was written over: %q", b)
	}
}

// TestMergeKeepsAPinMadeMeanwhile: check reads the pins, sweeps (minutes,
// on a large fleet), then merges what it saw. A `mcpwatch pin` made during
// the sweep must survive: the file's pin wins, check only adds pins for
// servers that had none and records the newest inventory.
func TestMergeKeepsAPinMadeMeanwhile(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, newClock(base))
	s.RecordInventory("docs", probe.SavedInventory{Pinned: inv("bb"), Latest: inv("bb")}) // pinned during the sweep
	_ = s.Close()
	ok, err := MergeInventories(dir, map[string]probe.SavedInventory{
		"docs": {Pinned: inv("aa"), Latest: inv("bb")}, // what check read before the sweep
		"new":  {Pinned: inv("xx"), Latest: inv("xx")},
	})
	if !ok || err != nil {
		t.Fatalf("merge: %v %v", ok, err)
	}
	got, err := ReadInventories(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got["docs"].Pinned.Hash != "bb" || got["docs"].Latest.Hash != "bb" || got["new"].Pinned.Hash != "xx" {
		t.Fatalf("after merge: docs pinned %s latest %s, new pinned %v", got["docs"].Pinned.Hash, got["docs"].Latest.Hash, got["new"].Pinned)
	}
}

// TestInventoryFileIsMarshal: the inventory file, written entry by entry, is
// byte for byte what json.Marshal made of the whole (keys sorted and
// escaped the same way), also for an empty and a nil map.
func TestInventoryFileIsMarshal(t *testing.T) {
	dir := t.TempDir()
	for _, saved := range []map[string]probe.SavedInventory{
		nil, {},
		{"docs": {Pinned: inv("aa"), Latest: inv("bb")}, `<a&b> "q"`: {Latest: inv("cc")}, "ünï": {}, "a": {Pinned: inv("dd")}},
	} {
		path := filepath.Join(dir, InventoryFileName)
		if err := writeInventory(path, saved); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(inventoryFile{Schema: inventorySchema, Servers: saved})
		if string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

// BenchmarkWriteInventory: the file serve rewrites at each flush while a
// sweep of 10,000 servers brings new inventories.
func BenchmarkWriteInventory(b *testing.B) {
	saved := map[string]probe.SavedInventory{}
	for i := range 10_000 {
		saved[fmt.Sprintf("s%05d", i)] = probe.SavedInventory{Pinned: inv("aa"), Latest: inv("bb")}
	}
	path := filepath.Join(b.TempDir(), InventoryFileName)
	b.ReportAllocs()
	for b.Loop() {
		if err := writeInventory(path, saved); err != nil {
			b.Fatal(err)
		}
	}
}
