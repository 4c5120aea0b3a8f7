package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mcpwatch/mcpwatch/probe"
)

// The file is a bbolt database with these buckets:
//
//	meta       schema = "mcpwatch.state/1"; watermark = the newest results key the snapshot counted
//	servers    name → id (4 bytes): results name servers by id
//	results    write time (8 bytes, ns) → packed results of one batch (codec.go)
//	events     event time (8 bytes, ns) + sequence (8 bytes) → probe.Event as JSON
//	uptime_1h  hour since the epoch (4) + server id (4) → up, checked (4 + 4)
//	uptime_5m  five minutes since the epoch (4) + server id (4) → up, checked
//	last       server id (4) → status, since, seen
//
// Results and events are appended in key order; uptime buckets and last
// states are a snapshot of the model, written every snapshotEvery. At open
// the results newer than the watermark are counted again, so a crash loses
// no count.
var (
	bMeta    = []byte("meta")
	bServers = []byte("servers")
	bResults = []byte("results")
	bEvents  = []byte("events")
	bHours   = []byte("uptime_1h")
	bFives   = []byte("uptime_5m")
	bLast    = []byte("last")
	allBkts  = [][]byte{bMeta, bServers, bResults, bEvents, bHours, bFives, bLast}

	keySchema    = []byte("schema")
	keyWatermark = []byte("watermark")
)

// Schema names this file layout. A file whose schema starts with
// schemaFamily but differs was written by another mcpwatch version.
const (
	Schema       = "mcpwatch.state/1"
	schemaFamily = "mcpwatch.state/"
)

// resultsPerKey bounds one results value, so a long backlog written after
// an outage does not make one huge value.
const resultsPerKey = 4096

// errForeign: the file is a bbolt database but not an mcpwatch history.
type errForeign struct{ why string }

func (e errForeign) Error() string { return e.why }

// errNewer: the file is an mcpwatch history of a schema this build does not know.
type errNewer struct{ schema string }

func (e errNewer) Error() string {
	return fmt.Sprintf("written by another mcpwatch version (%s; this one reads %s)", e.schema, Schema)
}

// errCorrupt wraps what went wrong reading a damaged file.
type errCorrupt struct{ err error }

func (e errCorrupt) Error() string { return e.err.Error() }
func (e errCorrupt) Unwrap() error { return e.err }

// disk writes batches to the file and reads it back. Only the writer
// goroutine uses it after Open, so it needs no lock. The file is opened for
// each batch and closed after it: between batches another process (mcpwatch
// history) can open it read-only.
type disk struct {
	path    string
	ids     map[string]uint32
	names   map[uint32]string
	nextID  uint32
	lastKey int64 // newest results key written
	timeout time.Duration
	// fault, when set (tests), is called at the start of each write and
	// fails it with what it returns.
	fault func() error
}

func newDisk(path string) *disk {
	return &disk{path: path, ids: map[string]uint32{}, names: map[uint32]string{}, nextID: 1, timeout: 500 * time.Millisecond}
}

// open opens the file. bbolt panics on some damaged files (a freelist page
// that is not one) while opening; that is an errCorrupt here, and the file
// it had opened (and locked) is closed.
func (d *disk) open(readOnly bool, timeout time.Duration) (db *bolt.DB, err error) {
	var f *os.File
	defer func() {
		if r := recover(); r != nil {
			if f != nil {
				_ = f.Close()
			}
			db, err = nil, errCorrupt{fmt.Errorf("damaged file: %v", r)}
		}
	}()
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	return bolt.Open(d.path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: readOnly, NoStatistics: true, OpenFile: openFile})
}

// guard turns a panic inside bbolt (it panics on some damaged pages) into
// an error.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = errCorrupt{fmt.Errorf("damaged file: %v", r)}
	}
}

// check reports whether tx holds an mcpwatch history, or nothing at all
// (a new file: empty).
func check(tx *bolt.Tx) (empty bool, err error) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
		if len(names) == 0 {
			return true, nil
		}
		return false, errForeign{fmt.Sprintf("a bbolt database that is not an mcpwatch history (buckets %q)", cut(fmt.Sprint(names), 80))}
	}
	switch s := string(meta.Get(keySchema)); {
	case s == Schema:
		return false, nil
	case len(s) > len(schemaFamily) && s[:len(schemaFamily)] == schemaFamily:
		return false, errNewer{s}
	default:
		return false, errForeign{"a bbolt database that is not an mcpwatch history (no schema)"}
	}
}

// initialize creates the buckets and the schema in a new file.
func (d *disk) initialize(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBkts {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(keySchema, []byte(Schema))
	})
}

// load reads the file into m: server ids, last states, the uptime buckets of
// the last week and hour (and results after the watermark counted in), and
// the newest events within retention. It reports whether the file is new.
func (d *disk) load(db *bolt.DB, m *model, now time.Time, retention time.Duration) (empty bool, err error) {
	defer guard(&err)
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		if empty, err = check(tx); err != nil || empty {
			return err
		}
		return d.loadTx(tx, m, now, retention)
	})
	if err != nil && !errors.As(err, new(errForeign)) && !errors.As(err, new(errNewer)) && !errors.As(err, new(errCorrupt)) {
		err = errCorrupt{err}
	}
	return empty, err
}

func (d *disk) loadTx(tx *bolt.Tx, m *model, now time.Time, retention time.Duration) error {
	for _, b := range allBkts {
		if tx.Bucket(b) == nil {
			return errCorrupt{fmt.Errorf("bucket %s is missing", b)}
		}
	}
	err := tx.Bucket(bServers).ForEach(func(k, v []byte) error {
		if len(v) != 4 {
			return errCorrupt{errors.New("bad server id")}
		}
		id := binary.BigEndian.Uint32(v)
		d.ids[string(k)], d.names[id] = id, string(k)
		d.nextID = max(d.nextID, id+1)
		return nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	server := func(id uint32) *serverModel {
		if name, ok := d.names[id]; ok {
			return m.serverLocked(name)
		}
		return nil
	}
	err = tx.Bucket(bLast).ForEach(func(k, v []byte) error {
		ls, ok := decodeLastRow(v)
		if len(k) == 4 && ok {
			if sm := server(binary.BigEndian.Uint32(k)); sm != nil {
				sm.last = ls
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	h, f := hourIdx(now), fiveIdx(now)
	loadBuckets(tx.Bucket(bHours), h-hourSlots+1, h, func(idx int32, id uint32, s slot) {
		if sm := server(id); sm != nil {
			sm.hours.set(s)
		}
	})
	loadBuckets(tx.Bucket(bFives), f-fiveSlots+1, f, func(idx int32, id uint32, s slot) {
		if sm := server(id); sm != nil {
			sm.fives.set(s)
		}
	})
	// Results the last snapshot did not count (written after it, before a
	// crash) are counted now.
	var water int64
	if v := tx.Bucket(bMeta).Get(keyWatermark); len(v) == 8 {
		water = int64(binary.BigEndian.Uint64(v))
	}
	c := tx.Bucket(bResults).Cursor()
	for k, v := c.Seek(u64(uint64(water + 1))); k != nil; k, v = c.Next() {
		key := int64(binary.BigEndian.Uint64(k))
		err := decodeResults(key, v, d.names, func(r resultRec) {
			if r.server != "" {
				m.serverLocked(r.server).addResult(time.Unix(0, r.at), statusOf(r.status))
			}
		})
		if err != nil {
			return errCorrupt{err}
		}
	}
	if k, _ := c.Last(); len(k) == 8 {
		d.lastKey = int64(binary.BigEndian.Uint64(k))
	}
	// The newest events within retention.
	cutoff := now.Add(-retention)
	var evs []probe.Event
	ec := tx.Bucket(bEvents).Cursor()
	for k, v := ec.Last(); k != nil && len(evs) < m.maxEvents; k, v = ec.Prev() {
		ev, err := decodeEvent(v)
		if err != nil {
			return errCorrupt{fmt.Errorf("bad event: %w", err)}
		}
		if ev.At.Before(cutoff) {
			break
		}
		evs = append(evs, ev)
	}
	slices.Reverse(evs)
	m.events = append(evs, m.events...)
	// Marks set by counting results in are for this run's first snapshot.
	return nil
}

// loadBuckets calls fn for each bucket row with from <= idx <= to.
func loadBuckets(b *bolt.Bucket, from, to int32, fn func(idx int32, id uint32, s slot)) {
	c := b.Cursor()
	for k, v := c.Seek(bucketKey(from, 0)); len(k) == 8 && len(v) == 8; k, v = c.Next() {
		idx := int32(binary.BigEndian.Uint32(k))
		if idx > to {
			return
		}
		fn(idx, binary.BigEndian.Uint32(k[4:]), slot{idx: idx, up: count16(binary.BigEndian.Uint32(v)), checked: count16(binary.BigEndian.Uint32(v[4:]))})
	}
}

// count16 is a stored count as a slot holds it (this build never stores more).
func count16(n uint32) uint16 { return uint16(min(n, math.MaxUint16)) }

// bucketRow is one uptime bucket of one server, as a snapshot writes it.
type bucketRow struct {
	server string
	slot
}

// batch is one write: the results and events drained since the last one
// (and any a failed write left), and, in a snapshot, the model's changed
// buckets and last states.
type batch struct {
	results  []resultRec
	events   []probe.Event
	last     map[string]LastState
	hours    []bucketRow
	fives    []bucketRow
	snapshot bool // also move the watermark
}

func (b *batch) empty() bool {
	return len(b.results) == 0 && len(b.events) == 0 && len(b.last) == 0 && len(b.hours) == 0 && len(b.fives) == 0 && !b.snapshot
}

// write stores b in one transaction: all of it, or (on error) none of it.
func (d *disk) write(b *batch, now time.Time) (err error) {
	defer guard(&err)
	if d.fault != nil {
		if err := d.fault(); err != nil {
			return err
		}
	}
	db, err := d.open(false, d.timeout)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	ids, next, lastKey := d.ids, d.nextID, d.lastKey
	added := map[string]uint32{}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := check(tx); err != nil {
			return err
		}
		for _, name := range allBkts {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if meta.Get(keySchema) == nil {
			if err := meta.Put(keySchema, []byte(Schema)); err != nil {
				return err
			}
		}
		servers := tx.Bucket(bServers)
		id := func(name string) (uint32, error) {
			if id, ok := ids[name]; ok {
				return id, nil
			}
			if id, ok := added[name]; ok {
				return id, nil
			}
			id := next
			next++
			added[name] = id
			return id, servers.Put([]byte(name), u32(id))
		}
		res := tx.Bucket(bResults)
		res.FillPercent = 1 // appended in key order: full pages
		for chunk := range slices.Chunk(b.results, resultsPerKey) {
			key := max(now.UnixNano(), lastKey+1)
			buf := make([]byte, 1, 1+len(chunk)*10)
			buf[0] = resultsFormat
			for i := range chunk {
				sid, err := id(chunk[i].server)
				if err != nil {
					return err
				}
				buf = appendResult(buf, sid, key, &chunk[i])
			}
			if err := res.Put(u64(uint64(key)), buf); err != nil {
				return err
			}
			lastKey = key
		}
		evb := tx.Bucket(bEvents)
		evb.FillPercent = 0.9 // nearly in order: events of slow checks come a little late
		for i := range b.events {
			v, err := encodeEvent(&b.events[i])
			if err != nil {
				return err
			}
			seq, err := evb.NextSequence()
			if err != nil {
				return err
			}
			if err := evb.Put(eventKey(b.events[i].At, seq), v); err != nil {
				return err
			}
		}
		for name, ls := range b.last {
			sid, err := id(name)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bLast).Put(u32(sid), lastRow(ls)); err != nil {
				return err
			}
		}
		for _, rows := range []struct {
			b    *bolt.Bucket
			rows []bucketRow
		}{{tx.Bucket(bHours), b.hours}, {tx.Bucket(bFives), b.fives}} {
			// In key order: bbolt then walks its pages once instead of
			// jumping about, several times faster for a snapshot of a big fleet.
			kvs := make([][2][]byte, 0, len(rows.rows))
			for _, r := range rows.rows {
				sid, err := id(r.server)
				if err != nil {
					return err
				}
				kvs = append(kvs, [2][]byte{bucketKey(r.idx, sid), counts(uint32(r.up), uint32(r.checked))})
			}
			slices.SortFunc(kvs, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
			for _, kv := range kvs {
				if err := rows.b.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
		}
		if b.snapshot {
			return meta.Put(keyWatermark, u64(uint64(lastKey)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for name, id := range added {
		d.ids[name], d.names[id] = id, name
	}
	d.nextID, d.lastKey = next, lastKey
	return nil
}

// pruneCutoffs say what is old enough to go.
type pruneCutoffs struct {
	kept  time.Time // results, events and last states older than this (the retention)
	hour  int32     // hourly buckets before this
	five  int32     // five-minute buckets before this
	limit int       // at most this many deletions per bucket in one round
}

// prune deletes what is older than the cutoffs, at most c.limit keys per
// bucket, and reports whether more is left for another round.
func (d *disk) prune(c pruneCutoffs) (more bool, err error) {
	defer guard(&err)
	if d.fault != nil {
		if err := d.fault(); err != nil {
			return false, err
		}
	}
	db, err := d.open(false, d.timeout)
	if err != nil {
		return false, err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	err = db.Update(func(tx *bolt.Tx) error {
		if empty, err := check(tx); err != nil || empty {
			return err
		}
		kept := u64(uint64(max(c.kept.UnixNano(), 0)))
		for _, p := range []struct {
			name   []byte
			before []byte
		}{
			{bResults, kept},
			{bEvents, kept},
			{bHours, bucketKey(c.hour, 0)},
			{bFives, bucketKey(c.five, 0)},
		} {
			b := tx.Bucket(p.name)
			if b == nil {
				continue
			}
			cur := b.Cursor()
			n := 0
			// Deleting from the front: seek the first key again after each delete.
			for k, _ := cur.First(); k != nil && bytes.Compare(k, p.before) < 0; k, _ = cur.First() {
				if n == c.limit {
					more = true
					break
				}
				if err := cur.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		// Last states of servers not seen within retention (removed from
		// the config long ago).
		if last := tx.Bucket(bLast); last != nil {
			var stale [][]byte
			_ = last.ForEach(func(k, v []byte) error {
				if ls, ok := decodeLastRow(v); ok && ls.Seen.Before(c.kept) && ls.Since.Before(c.kept) && len(stale) < c.limit {
					stale = append(stale, slices.Clone(k))
				}
				return nil
			})
			for _, k := range stale {
				if err := last.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return more, err
}

// renameAside moves a file that is not a readable history out of the way,
// never deleting it, and returns the new name.
func renameAside(path string, now time.Time) (string, error) {
	aside := path + ".unreadable-" + now.UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.unreadable-%s-%d", path, now.UTC().Format("20060102T150405Z"), i)
	}
	return aside, renameFile(path, aside)
}

// renameFile is os.Rename; tests make it fail.
var renameFile = os.Rename
