package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// retakeEvery is how often a store whose dir another mcpwatch held tries
// to take it: the dir is written again within this long of that one's exit.
const retakeEvery = 10 * time.Second

// retakeMaybe runs on the writer goroutine: once the mcpwatch that held
// the dir at Open has let it go, the store opens the file as Open would
// have, adds what it saw meanwhile (its events and newer last states; the
// counts of that time are the file's, the other mcpwatch having checked
// then) and from then on writes there. The notice clears, so serve logs
// that history is written again.
func (s *Store) retakeMaybe(now time.Time) {
	if now.Before(s.retakeAt) {
		return
	}
	s.retakeAt = now.Add(retakeEvery)
	lock, err := lockDir(filepath.Join(s.opts.Dir, LockName))
	var locked errLocked
	if errors.As(err, &locked) {
		s.inUse(locked) // by whom now: the holder may have changed
	}
	if err != nil {
		return // still in use (or not reachable now): the next try
	}
	s.retake = false
	fresh := s.openLocked(lock) // on failure: its notice, and memory it stays
	if fresh == nil {
		return
	}
	s.backlog.events = append(s.backlog.events, s.model.carryInto(fresh)...)
	s.boundBacklog()
	s.model.replace(fresh)
	s.snapshotDue = true // the carried last states
	s.loadInventory()    // merged with the pins recorded meanwhile
	s.setNotice("")
	s.version.Add(1)
}

// inUse says whose the dir is while the store waits for it.
func (s *Store) inUse(locked errLocked) {
	who := "another mcpwatch"
	if locked.pid > 0 {
		who = fmt.Sprintf("another mcpwatch (pid %d)", locked.pid)
	}
	s.setNotice(fmt.Sprintf("state dir %s is in use by %s; %s until it is free", s.opts.Dir, who, memoryNote))
}

// carryInto adds to fresh (the history of a retaken dir) what m saw: its
// events, in time order, and each server's last state where m saw the
// server later. It returns the events, to be written.
func (m *model) carryInto(fresh *model) []probe.Event {
	m.mu.RLock()
	evs := slices.Clone(m.events)
	lasts := make(map[string]LastState, len(m.servers))
	for name, sm := range m.servers {
		lasts[name] = sm.last
	}
	m.mu.RUnlock()

	fresh.mu.Lock()
	defer fresh.mu.Unlock()
	for _, ev := range evs {
		fresh.insertLocked(ev)
	}
	if len(fresh.events) > fresh.maxEvents {
		fresh.events = slices.Clone(fresh.events[len(fresh.events)-fresh.maxEvents:])
	}
	for name, last := range lasts {
		sm := fresh.serverLocked(name)
		if !last.Seen.After(sm.last.Seen) && sm.last.Status != "" {
			continue
		}
		if last.Status != "" {
			sm.last = last
		} else if last.Seen.After(sm.last.Seen) {
			sm.last.Seen = last.Seen
		}
		sm.dirtyLast = true
	}
	return evs
}

// replace makes m hold what from holds (from is not used after).
func (m *model) replace(from *model) {
	m.mu.Lock()
	m.servers, m.events = from.servers, from.events
	m.mu.Unlock()
}
