package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/mcpwatch/mcpwatch/boundedfile"
	"github.com/mcpwatch/mcpwatch/probe"
)

// Defaults.
const (
	DefaultRetention = 7 * 24 * time.Hour
	// FileName is the history file inside the state dir; LockName the lock
	// that keeps a second mcpwatch out.
	FileName = "history.db"
	LockName = "lock"

	defaultFlushEvery    = time.Second
	defaultSnapshotEvery = 2 * time.Minute
	defaultPruneEvery    = time.Minute
	defaultMaxEvents     = 10_000
	pruneLimit           = 5_000   // keys deleted per bucket per round
	maxQueue             = 200_000 // results waiting for the writer goroutine
	maxBacklog           = 500_000 // results waiting for a disk that failed (about 40 MB)
	maxEventBacklog      = 100_000
	retryFirst           = 5 * time.Second
	retryMax             = time.Minute
)

// Options configure a Store.
type Options struct {
	// Dir is the state dir; "" keeps history in memory only (--no-state).
	Dir string
	// Retention is how long results and events are kept; 0 means
	// DefaultRetention. Uptime buckets are counts only and always cover
	// the week that Uptime reports.
	Retention time.Duration
	// MaxEvents bounds the events kept in memory for views (default 10,000,
	// the newest); the file keeps every event within retention.
	MaxEvents int
	// FlushEvery is how often queued results and events are applied and
	// written, in one transaction (default 1s).
	FlushEvery time.Duration
	// OnNotice, when set, is called each time Notice changes ("" when a
	// problem is over), from Open and then from the writer goroutine.
	// serve logs it.
	OnNotice func(string)
	// Notice, with Dir "", says why history is kept in memory when that
	// was not chosen (e.g. NoDefaultDir); "" when it was (--no-state).
	Notice string

	now   func() time.Time // tests
	fault func() error     // tests: fails writes and prunes with what it returns
}

// Store keeps results and events: in memory, where views read them, and
// in the state dir, where they survive a restart. Feed it from the pool
// (RecordResult from Pool.Observe, RecordEvent from Pool.OnEvent): both only
// append to a queue, so a probe never waits on the disk. A goroutine applies
// the queue to memory and writes it every FlushEvery, one transaction each.
//
// Open never fails: a state dir that cannot be used leaves a Store that
// keeps history in memory and says why in Notice.
type Store struct {
	opts    Options
	now     func() time.Time
	model   *model
	version atomic.Uint64

	qmu      sync.Mutex
	qResults []resultRec
	qSpare   []resultRec // the queue drained last time, emptied, to fill again
	qEvents  []probe.Event
	qDropped int
	closed   bool

	nmu    sync.Mutex
	notice string

	inv inventories // pinned and newest inventories (inventory.go)

	// Used by the writer goroutine only (and by Open before it starts).
	disk          *disk // nil: memory only
	lock          *dirLock
	backlog       batch // what a failed write left, to be written again
	lostResults   int   // results dropped from the backlog or queue since the disk failed
	failingSince  time.Time
	retryAt       time.Time
	retryWait     time.Duration
	lastSnapshot  time.Time
	snapshotDue   bool
	nextPrune     time.Time
	writeProblems int       // failed writes in a row
	retake        bool      // the dir was in use by another mcpwatch: try to take it (retake.go)
	retakeAt      time.Time // the next try

	stop     chan struct{}
	done     chan struct{}
	flushReq chan chan struct{}
	crashed  atomic.Bool // tests: stop without the final write, as a killed process would
}

// Open opens (creating if need be) the history in opts.Dir and starts the
// writer goroutine; Close stops it. Whatever goes wrong, the Store works:
//
//   - the dir is used by another mcpwatch: history is kept in memory;
//   - the file is corrupt or not an mcpwatch history: it is renamed aside
//     (never deleted) and history is kept in memory;
//   - the dir is not writable: what the file holds is read, and new history
//     is kept in memory;
//   - a write fails (a full disk): what is stored stays, new history waits
//     in memory (bounded) and is written when a retry succeeds.
//
// Notice says which, in one line, for as long as it holds.
func Open(opts Options) *Store {
	s := newStore(opts)
	if opts.Dir != "" {
		s.openDisk()
		if s.disk != nil {
			s.loadInventory()
		}
	} else if opts.Notice != "" {
		s.setNotice(opts.Notice)
	}
	go s.run()
	return s
}

func newStore(opts Options) *Store {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = defaultMaxEvents
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = defaultFlushEvery
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	return &Store{opts: opts, now: now, model: newModel(opts.MaxEvents), stop: make(chan struct{}), done: make(chan struct{}),
		flushReq: make(chan chan struct{})}
}

// memoryNote ends every notice of a Store that is not writing its file.
const memoryNote = "history is kept in memory"

// openDisk locks the dir and loads the file, or leaves the store in memory
// with a notice.
func (s *Store) openDisk() {
	dir := s.opts.Dir
	path := filepath.Join(dir, FileName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.setNotice(fmt.Sprintf("state dir %s cannot be created (%s); %s", dir, reason(err), memoryNote))
		return
	}
	lock, err := lockDir(filepath.Join(dir, LockName))
	var locked errLocked
	switch {
	case errors.As(err, &locked):
		s.inUse(locked)
		s.retake, s.retakeAt = true, s.now().Add(retakeEvery) // retake.go
		return
	case err != nil:
		s.setNotice(fmt.Sprintf("state dir %s is not writable (%s); %s", dir, reason(err), memoryNote) + s.readOnlyLoad(path))
		return
	}
	if fresh := s.openLocked(lock); fresh != nil {
		s.model = fresh // no reader yet: Open has not returned
	}
}

// openLocked opens and loads the file of the dir lock holds, into a new
// model it returns; on failure it sets the notice, lets the lock go and
// returns nil.
func (s *Store) openLocked(lock *dirLock) *model {
	path := filepath.Join(s.opts.Dir, FileName)
	fresh := newModel(s.opts.MaxEvents)
	d := newDisk(path)
	d.fault = s.opts.fault
	fi, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	if statErr == nil && !fi.Mode().IsRegular() {
		s.setNotice(fmt.Sprintf("state file %s is %s, not a regular file; it is left as it is and %s", path, boundedfile.Kind(fi.Mode()), memoryNote))
		lock.release()
		return nil
	}
	db, err := d.open(false, 2*time.Second)
	if err == nil {
		var empty bool
		empty, err = d.load(db, fresh, s.now(), s.opts.Retention)
		if err == nil && empty {
			err = d.initialize(db)
		}
		if cerr := db.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	var newer errNewer
	switch {
	case err == nil:
		s.disk, s.lock = d, lock
		s.lastSnapshot = s.now()
		return fresh
	case errors.As(err, &newer):
		s.setNotice(fmt.Sprintf("state file %s was %s; it is left as it is and %s", path, newer.Error(), memoryNote))
	case unreadable(err): // what a partial load left is dropped with fresh
		aside, rerr := renameAside(path, s.now())
		if rerr != nil {
			s.setNotice(fmt.Sprintf("state file %s is unreadable (%s) and could not be moved aside (%s); %s", path, reason(err), reason(rerr), memoryNote))
		} else {
			s.setNotice(fmt.Sprintf("state file %s was unreadable (%s); moved to %s, a new one is started next run; %s", path, reason(err), filepath.Base(aside), memoryNote))
		}
	case created && isNoSpace(err):
		_ = os.Remove(path) // the file this open just made, with nothing in it
		s.setNotice(fmt.Sprintf("state file %s cannot be created (%s); %s", path, reason(err), memoryNote))
	case errors.Is(err, berrors.ErrTimeout):
		s.setNotice(fmt.Sprintf("state file %s is locked by another program; %s", path, memoryNote))
	default:
		s.setNotice(fmt.Sprintf("state file %s cannot be opened (%s); %s", path, reason(err), memoryNote))
	}
	lock.release()
	return nil
}

// readOnlyLoad reads what an existing file holds when the dir cannot be
// written, so views still show the past. It returns what to add to the notice.
func (s *Store) readOnlyLoad(path string) string {
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	d := newDisk(path)
	db, err := d.open(true, time.Second)
	if err != nil {
		return ""
	}
	defer db.Close()
	if _, err := d.load(db, s.model, s.now(), s.opts.Retention); err != nil {
		s.model = newModel(s.opts.MaxEvents)
		return ""
	}
	return " (what it held before is shown)"
}

// unreadable: the file is not a history this build can read and never will be.
func unreadable(err error) bool {
	return errors.As(err, new(errForeign)) || errors.As(err, new(errCorrupt)) ||
		errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) ||
		errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrInvalidMapping)
}

func isNoSpace(err error) bool {
	// bbolt reports a failed grow with %s, so the errno is lost to errors.Is.
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || strings.Contains(err.Error(), "no space left on device")
}

// reason is the short cause of err: the errno text when there is one.
func reason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	if isNoSpace(err) {
		return syscall.ENOSPC.Error()
	}
	return err.Error()
}

// RecordResult queues what the store keeps of a result (server, start,
// status, latency, class; never the message or detail). It is called on the
// pool's goroutine and only appends to a queue.
func (s *Store) RecordResult(res probe.Result) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.closed {
		return
	}
	if len(s.qResults) >= maxQueue {
		s.qDropped++
		return
	}
	var at int64
	if !res.Started.IsZero() {
		at = res.Started.UnixNano()
	}
	s.qResults = append(s.qResults, resultRec{server: res.Server, at: at, status: statusCode(res.Status),
		latency: res.Latency, class: cleanClass(res.Class)})
}

// RecordEvent queues an event. Like RecordResult it never waits on the disk.
func (s *Store) RecordEvent(ev probe.Event) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.closed {
		return
	}
	if len(s.qEvents) >= maxQueue {
		s.qDropped++
		return
	}
	s.qEvents = append(s.qEvents, boundEvent(ev))
}

// Version changes whenever Events, Uptime, LastStates or Notice may return
// something new: at most once per FlushEvery. It is an atomic load.
func (s *Store) Version() uint64 { return s.version.Load() }

// Events returns the events q selects, newest first, from memory (the
// newest MaxEvents within retention; the file keeps the rest, see Archive).
func (s *Store) Events(q Query) []probe.Event { return s.model.query(q) }

// Uptime returns server's uptime over the last hour, day and week.
func (s *Store) Uptime(server string) Uptime { return s.model.uptime(server, s.now()) }

// LastStates returns every server's last known status and Since: what a
// restart seeds the pool with (see Restorable).
func (s *Store) LastStates() map[string]LastState { return s.model.lastStates() }

// Notice is "" while history is written to the state dir (or kept in
// memory by choice, --no-state); else one line saying what is wrong and
// that history is kept in memory. Views show it in their header.
func (s *Store) Notice() string {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	return s.notice
}

// Dir is the state dir, "" when history is kept in memory by choice.
func (s *Store) Dir() string { return s.opts.Dir }

func (s *Store) setNotice(msg string) {
	s.nmu.Lock()
	changed := s.notice != msg
	s.notice = msg
	s.nmu.Unlock()
	if changed {
		s.version.Add(1)
		if s.opts.OnNotice != nil {
			s.opts.OnNotice(msg)
		}
	}
}

// Close writes what is queued and stops the writer goroutine. Results and
// events recorded afterwards are ignored. It is safe to call twice.
func (s *Store) Close() error {
	s.qmu.Lock()
	already := s.closed
	s.closed = true
	s.qmu.Unlock()
	if !already {
		close(s.stop)
	}
	<-s.done
	return nil
}

// Flush applies and writes what is queued now instead of at the next tick,
// and returns when it is done (a failed write is kept for a retry, as at a
// tick). After Close it does nothing.
func (s *Store) Flush() {
	ch := make(chan struct{})
	select {
	case s.flushReq <- ch:
		<-ch
	case <-s.done:
	}
}

func (s *Store) run() {
	defer close(s.done)
	defer func() { s.lock.release() }() // the lock held at the end: a retake may have taken one
	t := time.NewTicker(s.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			if !s.crashed.Load() {
				s.flush(true)
			}
			return
		case <-t.C:
			s.flush(false)
		case ch := <-s.flushReq:
			s.flush(false)
			close(ch)
		}
	}
}

// flush applies the queue to memory and writes it (with what a failed
// write left) in one transaction; on schedule it also writes a snapshot of
// the uptime buckets and last states, and prunes.
func (s *Store) flush(final bool) {
	if s.retake && !final {
		s.retakeMaybe(s.now())
	}
	s.inventoryTick()
	s.qmu.Lock()
	results, events, dropped := s.qResults, s.qEvents, s.qDropped
	s.qResults, s.qEvents, s.qDropped, s.qSpare = s.qSpare, nil, 0, nil
	s.qmu.Unlock()
	defer s.recycle(results)
	now := s.now()
	if len(results) > 0 || len(events) > 0 {
		s.model.apply(results, events)
		s.version.Add(1)
	}
	if s.disk == nil {
		s.model.pruneEvents(now.Add(-s.opts.Retention))
		return
	}
	s.lostResults += dropped
	s.backlog.results = append(s.backlog.results, results...)
	s.backlog.events = append(s.backlog.events, events...)
	s.boundBacklog()
	if !final && now.Before(s.retryAt) {
		return
	}
	b := s.backlog
	snap := final || s.snapshotDue || now.Sub(s.lastSnapshot) >= defaultSnapshotEvery
	s.takeRows(&b, snap)
	if b.empty() {
		s.pruneMaybe(now)
		return
	}
	err := s.disk.write(&b, now)
	// At exit there is no next tick: a reader (mcpwatch history) holding
	// the file is waited for a little longer.
	for i := 0; final && errors.Is(err, berrors.ErrTimeout) && i < 4; i++ {
		err = s.disk.write(&b, now)
	}
	if err != nil {
		s.writeFailed(err, now, &b)
		return
	}
	s.backlog = batch{}
	if snap {
		s.lastSnapshot, s.snapshotDue = now, false
	}
	if s.writeProblems > 0 || !s.failingSince.IsZero() {
		s.writeProblems, s.failingSince, s.retryWait, s.lostResults = 0, time.Time{}, 0, 0
		s.setNotice("")
	}
	s.pruneMaybe(now)
}

// recycle hands a drained queue back to be filled again, so a steady
// stream of results does not grow a new slice every second. Huge ones (a
// burst) are let go.
func (s *Store) recycle(q []resultRec) {
	if cap(q) == 0 || cap(q) > 1<<16 {
		return
	}
	s.qmu.Lock()
	s.qSpare = q[:0]
	s.qmu.Unlock()
}

// takeRows adds to b the last states that its status events changed and,
// in a snapshot, every changed uptime bucket and last state; the marks are
// cleared (writeFailed sets them again).
func (s *Store) takeRows(b *batch, snap bool) {
	changed := map[string]bool{}
	for i := range b.events {
		if b.events[i].Kind == probe.EventStatus {
			changed[b.events[i].Server] = true
		}
	}
	m := s.model
	m.mu.Lock()
	defer m.mu.Unlock()
	b.last, b.snapshot = map[string]LastState{}, snap
	if !snap {
		for name := range changed {
			if sm, ok := m.servers[name]; ok && sm.dirtyLast {
				b.last[name] = sm.last
				sm.dirtyLast = false
			}
		}
		return
	}
	hourNow, fiveNow := hourIdx(s.now()), fiveIdx(s.now())
	for name, sm := range m.servers {
		if sm.dirtyLast {
			b.last[name] = sm.last
			sm.dirtyLast = false
		}
		b.hours = appendChanged(b.hours, name, &sm.hours, hourSlots, sm.dirtyH, hourNow)
		b.fives = appendChanged(b.fives, name, &sm.fives, fiveSlots, sm.dirtyF, fiveNow)
		sm.dirtyH, sm.dirtyF = 0, 0
	}
}

// appendChanged adds the buckets of ring from index dirty (0: none) to
// now: usually one or two, found by index rather than by scanning the ring.
func appendChanged[R interface{ slot(int32) slot }](rows []bucketRow, name string, ring R, n, dirty, now int32) []bucketRow {
	if dirty == 0 {
		return rows
	}
	for idx := max(dirty, now-n+1); idx <= now; idx++ {
		if sl := ring.slot(idx); sl.idx == idx && sl.checked > 0 {
			rows = append(rows, bucketRow{name, sl})
		}
	}
	return rows
}

// writeFailed keeps the batch for a retry, marks the model's rows dirty
// again, and says what is wrong.
func (s *Store) writeFailed(err error, now time.Time, b *batch) {
	m := s.model
	m.mu.Lock()
	for name := range b.last {
		if sm, ok := m.servers[name]; ok {
			sm.dirtyLast = true
		}
	}
	for _, r := range b.hours {
		if sm, ok := m.servers[r.server]; ok && (sm.dirtyH == 0 || r.idx < sm.dirtyH) {
			sm.dirtyH = r.idx
		}
	}
	for _, r := range b.fives {
		if sm, ok := m.servers[r.server]; ok && (sm.dirtyF == 0 || r.idx < sm.dirtyF) {
			sm.dirtyF = r.idx
		}
	}
	m.mu.Unlock()
	if b.snapshot {
		s.snapshotDue = true
	}
	s.writeProblems++
	if s.retryWait == 0 {
		s.retryWait = retryFirst
	} else {
		s.retryWait = min(2*s.retryWait, retryMax)
	}
	s.retryAt = now.Add(s.retryWait)
	// A reader (mcpwatch history) holding the file for a moment is not a
	// problem worth a notice; only a lock that lasts is.
	if errors.Is(err, berrors.ErrTimeout) && s.writeProblems < 3 {
		s.retryAt = now
		return
	}
	if s.failingSince.IsZero() {
		s.failingSince = now
	}
	path := filepath.Join(s.opts.Dir, FileName)
	why := reason(err)
	if errors.Is(err, berrors.ErrTimeout) {
		why = "locked by another program"
	}
	msg := fmt.Sprintf("cannot write history to %s (%s) since %s; what it holds is kept, new %s and written when a retry succeeds",
		path, why, s.failingSince.Format("15:04:05"), memoryNote)
	if s.lostResults > 0 {
		msg += "; some results of the outage did not fit in memory (uptime still counts them)"
	}
	s.setNotice(msg)
}

// boundBacklog keeps what waits for the disk within bounds: the oldest
// results and events go first. The model has counted them already.
func (s *Store) boundBacklog() {
	if over := len(s.backlog.results) - maxBacklog; over > 0 {
		s.backlog.results = append([]resultRec(nil), s.backlog.results[over:]...)
		s.lostResults += over
	}
	if over := len(s.backlog.events) - maxEventBacklog; over > 0 {
		s.backlog.events = append([]probe.Event(nil), s.backlog.events[over:]...)
		s.lostResults += over
	}
}

// pruneMaybe deletes what is past retention, a bounded amount per round;
// while more is left, rounds follow every flush instead of every minute.
func (s *Store) pruneMaybe(now time.Time) {
	s.model.pruneEvents(now.Add(-s.opts.Retention))
	if now.Before(s.nextPrune) {
		return
	}
	more, err := s.disk.prune(pruneCutoffs{
		kept:  now.Add(-s.opts.Retention),
		hour:  hourIdx(now) - hourSlots - 1,
		five:  fiveIdx(now) - fiveSlots - 1,
		limit: pruneLimit,
	})
	switch {
	case err != nil:
		s.nextPrune = now.Add(defaultPruneEvery) // the next write will say what is wrong
	case more:
		s.nextPrune = now
	default:
		s.nextPrune = now.Add(defaultPruneEvery)
	}
}
