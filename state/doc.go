// Package state keeps mcpwatch's history: each server's results (compactly)
// and the events of the fleet (status changes, warnings raised and cleared,
// server, protocol and transport changes), in an embedded bbolt database in
// the state dir, so that the timeline, uptime and "failing since 12m"
// survive a restart.
//
// # What is stored
//
// Per result: server name, start time, status, latency and the short
// machine class (connect.refused, http.403 …), a few bytes each. Never the
// message, the detail, a URL, a header, a token or a secret: results reach
// the store already scrubbed by probe, and the store keeps only those
// fields. Per event: probe.Event as the pool emits it (time, server, kind,
// from, to, class, reason), each field bounded. Per server: uptime counts in
// hourly and five-minute buckets, and the last status with its Since.
// Results and events are kept for a retention (DefaultRetention, a week;
// config `state: {retention: …}`); uptime buckets always cover a week.
//
// # How it is fed and read
//
// The pool feeds it through two hooks that only append to a queue:
//
//	pool.Observe(store.RecordResult) // every result
//	pool.OnEvent(store.RecordEvent)  // every transition
//
// A goroutine applies the queue to memory and writes it every second, one
// transaction per batch. Views read memory only, never the disk, through
// Reader, polling Version the way they poll probe snapshots.
//
// # When the disk cannot be used
//
// A state dir used by another mcpwatch, a corrupt or foreign file (moved
// aside, never deleted), a read-only dir, a full disk: the Store goes on in
// memory, nothing already stored is lost, and Notice says what happened in
// one line for the view's header. Writes that fail are retried.
package state

import "github.com/mcpwatch/mcpwatch/probe"

// Reader is what a view reads from the store; *Store implements it. Every
// method answers from memory and is cheap; none touches the disk.
//
// Poll it like a probe snapshot: on each tick read Version (an atomic
// load), and only when it changed since the last tick call Events, Uptime
// or Notice again. Version moves at most once a second (once per batch),
// whatever the size of the fleet, and also when Notice changes.
//
//   - Events(Query{Servers, Since, Limit}) is the timeline, newest first:
//     the `e` view with Limit set to what it can scroll through, the detail
//     view with Servers: []string{name} and a small Limit.
//   - Uptime(name) gives 1 h / 24 h / 7 d windows; Window.Ratio is
//     up/checked, ok false when nothing was checked in the window.
//   - Notice is "" while history is written to disk (or kept in memory by
//     choice, --no-state); otherwise a line such as "state dir … is in use
//     by another mcpwatch (pid 4242); history is kept in memory" that the
//     header should show as it is (it holds paths: pass it through
//     textsafe like any text).
type Reader interface {
	Version() uint64
	Events(q Query) []probe.Event
	Uptime(server string) Uptime
	Notice() string
}

var _ Reader = (*Store)(nil)
