package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type reloadEvent struct {
	f   *File
	err error
}

// runWatcher runs w until the test ends; each reload arrives on the channel.
func runWatcher(t *testing.T, w *Watcher) <-chan reloadEvent {
	t.Helper()
	events := make(chan reloadEvent, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.Run(ctx, func(f *File, _ []Warning, err error) { events <- reloadEvent{f, err} })
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return events
}

func TestWatcher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	write := func(s string) {
		t.Helper()
		tmp := path + ".tmp" // editors replace by rename; the watcher must notice
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("servers:\n  - {name: a, url: http://127.0.0.1:1/mcp}\n")
	w := NewWatcher(path, 5*time.Millisecond, nil)
	events := runWatcher(t, w)
	next := func() reloadEvent {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no reload within 10s")
		}
		return reloadEvent{}
	}
	select {
	case ev := <-events:
		t.Fatalf("reload without a change: %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}

	write("servers:\n  - {name: a, url: http://127.0.0.1:1/mcp}\n  - {name: b, url: http://127.0.0.1:2/mcp}\n")
	if ev := next(); ev.err != nil || len(ev.f.Servers) != 2 {
		t.Fatalf("after adding a server: %+v", ev)
	}
	write("servers:\n  - {name: a, url: http://127.0.0.1:1/mcp\n")
	ev := next()
	var errs Errors
	if ev.f != nil || !errors.As(ev.err, &errs) || errs[0].Pos.Line == 0 {
		t.Fatalf("a broken edit must come as positioned errors and no config: %+v", ev)
	}
	w.Trigger()
	if ev := next(); ev.err == nil {
		t.Fatal("Trigger must reload even an unchanged (still broken) file")
	}
	write("servers:\n  - {name: c, url: http://127.0.0.1:3/mcp}\n")
	if ev := next(); ev.err != nil || ev.f.Servers[0].Name != "c" {
		t.Fatalf("after the fix: %+v", ev)
	}
}

// An edit that lands between the first Load and the start of the watcher is
// still a change: the watcher compares with the content that was applied,
// not with whatever the file holds when it starts.
func TestWatcherSeesAnEditMadeBeforeItStarted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("servers:\n  - {name: a, url: http://127.0.0.1:1/mcp}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	applied, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("servers:\n  - {name: b, url: http://127.0.0.1:1/mcp}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(path, 5*time.Millisecond, applied)
	events := runWatcher(t, w)
	select {
	case ev := <-events:
		if ev.err != nil || ev.f.Servers[0].Name != "b" {
			t.Fatalf("reload = %+v, want the edited config", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the edit made before the watcher started was never applied")
	}
}

// An idle watcher does not read the file each poll: once its stat (file
// identity, size, modification time) has stayed the same for longer than a
// filesystem timestamp tick, the content is taken as read. An edit that
// keeps the size, and one made within the same second, are still seen.
func TestWatcherReadsOnlyWhatMayHaveChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	a := "servers:\n  - {name: a, url: http://127.0.0.1:1/mcp}\n"
	if err := os.WriteFile(path, []byte(a), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	applied, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(path, time.Hour, applied)
	polls := func(n int) {
		for range n {
			w.poll(context.Background(), false, func(*File, []Warning, error) {})
		}
	}
	polls(5)
	if w.reads != 1 {
		t.Fatalf("%d reads in 5 polls of an old, unchanged file; want 1 (the first)", w.reads)
	}

	// Same size, new content, written now: two writes inside one timestamp
	// tick must not hide the second, so a fresh mtime is never trusted.
	var got []string
	apply := func(f *File, _ []Warning, err error) {
		if err == nil {
			got = append(got, f.Servers[0].Name)
		}
	}
	for _, name := range []string{"b", "c"} {
		if err := os.WriteFile(path, []byte(strings.Replace(a, "name: a", "name: "+name, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		w.poll(context.Background(), false, apply)
	}
	if strings.Join(got, ",") != "b,c" {
		t.Fatalf("applied %v, want b,c", got)
	}
}
