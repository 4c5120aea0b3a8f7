package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type reloadEvent struct {
	f   *File
	err error
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
	w := NewWatcher(path, 5*time.Millisecond)
	events := make(chan reloadEvent, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.Run(ctx, func(f *File, _ []Warning, err error) { events <- reloadEvent{f, err} })
		close(done)
	}()
	defer func() { cancel(); <-done }()
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
