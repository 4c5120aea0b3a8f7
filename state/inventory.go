package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/boundedfile"
	"github.com/mcpwatch/mcpwatch/probe"
)

// Inventory pins live beside the history, in a JSON file of their own: they
// are few, rarely written (only when an inventory changes or is accepted),
// and an operator may want to read or back them up by hand. The store that
// holds the dir's lock writes it, whole, to a temporary file renamed over
// the old one, so a crash leaves the old or the new file, never half.
const (
	InventoryFileName = "inventory.json"
	// PinRequestName is where `mcpwatch pin` leaves a request for the
	// mcpwatch that holds the dir; PinResultName is its answer.
	PinRequestName = "pin-request.json"
	PinResultName  = "pin-result.json"

	maxInventoryFile = 256 << 20 // far above any real fleet; a bound, not a budget
	maxPinRequest    = 64 << 10
)

// inventories is the store's copy of every server's pinned and newest
// inventory, and who hears pin requests.
type inventories struct {
	mu        sync.Mutex
	saved     map[string]probe.SavedInventory
	dirty     bool
	onRequest func(servers []string) []string
	note      string // what became of an unreadable pin file at open
	keep      bool   // it could not be moved aside: never write over it
}

// RecordInventory keeps a server's pinned and newest inventory (from
// Pool.OnInventory); the writer goroutine writes them at its next tick.
func (s *Store) RecordInventory(server string, saved probe.SavedInventory) {
	s.inv.mu.Lock()
	defer s.inv.mu.Unlock()
	if s.inv.saved == nil {
		s.inv.saved = map[string]probe.SavedInventory{}
	}
	s.inv.saved[server] = saved
	s.inv.dirty = true
}

// InventoryNote is "" unless the pin file was unreadable at open: then one
// line saying what became of it (serve logs it, the dashboard says it at exit).
func (s *Store) InventoryNote() string {
	s.inv.mu.Lock()
	defer s.inv.mu.Unlock()
	return s.inv.note
}

// Inventories returns what the store knows of every server's inventory:
// what Pool.RestoreInventory takes at start.
func (s *Store) Inventories() map[string]probe.SavedInventory {
	s.inv.mu.Lock()
	defer s.inv.mu.Unlock()
	out := make(map[string]probe.SavedInventory, len(s.inv.saved))
	for k, v := range s.inv.saved {
		out[k] = v
	}
	return out
}

// OnPinRequest registers fn to accept the inventories `mcpwatch pin` asks
// for while this store holds the dir (servers empty: all); fn returns the
// servers whose pin changed. Call it before the pool runs.
func (s *Store) OnPinRequest(fn func(servers []string) []string) {
	s.inv.mu.Lock()
	s.inv.onRequest = fn
	s.inv.mu.Unlock()
}

// loadInventory reads the dir's inventory file, if any. A file this build
// cannot read is moved aside: pins then start afresh from the next checks.
// One that cannot be moved is left as it is and never written over. Either
// way InventoryNote says so.
func (s *Store) loadInventory() {
	path := filepath.Join(s.opts.Dir, InventoryFileName)
	saved, err := readInventory(path)
	if err != nil {
		aside, rerr := renameAside(path, s.now())
		s.inv.mu.Lock()
		defer s.inv.mu.Unlock()
		if rerr != nil {
			s.inv.keep = true
			s.inv.note = fmt.Sprintf("inventory pins %s are unreadable (%s) and could not be moved aside (%s); the file is left as it is and this run's pins are not written",
				path, reason(err), reason(rerr))
			return
		}
		s.inv.note = fmt.Sprintf("inventory pins %s were unreadable (%s); moved to %s, pins start afresh from this run's checks",
			path, reason(err), filepath.Base(aside))
		return
	}
	s.inv.mu.Lock()
	if len(s.inv.saved) > 0 { // a retake (retake.go): pins were recorded while another held the dir
		mergePins(saved, s.inv.saved)
		s.inv.dirty = true
	}
	s.inv.saved = saved
	s.inv.mu.Unlock()
}

func readInventory(path string) (map[string]probe.SavedInventory, error) {
	b, err := boundedfile.Read(path, maxInventoryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]probe.SavedInventory{}, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := decodeInventoryFile(b) // inventory_read.go
	if err != nil {
		return nil, err
	}
	if f.Schema != inventorySchema {
		return nil, fmt.Errorf("schema %q, want %q", f.Schema, inventorySchema)
	}
	if f.Servers == nil {
		f.Servers = map[string]probe.SavedInventory{}
	}
	return f.Servers, nil
}

// shareItems makes equal inventories share one slice of items. A fleet of
// replicas pins the same inventory on every server: decoded, 10,000 copies
// of it took 14 MB that a check or serve held throughout. Items are never
// modified once stored (probe's invState), so sharing is safe; only items
// equal field by field are shared, whatever their hash says.
func shareItems(saved map[string]probe.SavedInventory) {
	byHash := map[string][][]probe.InventoryItem{} // almost always one per hash
	share := func(inv *probe.Inventory) {
		if inv == nil || len(inv.Items) == 0 {
			return
		}
		for _, items := range byHash[inv.Hash] {
			if slices.Equal(items, inv.Items) {
				inv.Items = items
				return
			}
		}
		byHash[inv.Hash] = append(byHash[inv.Hash], inv.Items)
	}
	for _, s := range saved {
		share(s.Pinned)
		share(s.Latest)
	}
}

const inventorySchema = "mcpwatch.inventory/v1"

type inventoryFile struct {
	Schema  string                          `json:"schema"`
	Servers map[string]probe.SavedInventory `json:"servers"`
}

// writeInventory writes what json.Marshal makes of an inventoryFile, one
// server at a time: serve rewrites the file at each flush while a sweep
// brings new inventories, and at 10,000 servers the whole file as one
// buffer was tens of MB held at once.
func writeInventory(path string, saved map[string]probe.SavedInventory) error {
	if saved == nil {
		b, err := json.Marshal(inventoryFile{Schema: inventorySchema})
		if err != nil {
			return err
		}
		return writeAtomic(path, b)
	}
	return writeAtomicFunc(path, func(w *bufio.Writer) error {
		// One encoder for every value: json.Marshal copies each result out of
		// its buffer (serve rewrote 10,000 servers' entries at each flush of a
		// sweep: a fifth of all it allocated). Encode ends each value with a
		// newline, which the file does not have.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		put := func(v any) error {
			buf.Reset()
			if err := enc.Encode(v); err != nil {
				return err
			}
			_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
			return err
		}
		w.WriteString(`{"schema":`)
		if err := put(inventorySchema); err != nil {
			return err
		}
		w.WriteString(`,"servers":{`)
		for i, name := range slices.Sorted(maps.Keys(saved)) {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := put(name); err != nil {
				return err
			}
			w.WriteByte(':')
			if err := put(saved[name]); err != nil {
				return err
			}
		}
		_, err := w.WriteString("}}")
		return err // a write error sticks in w and comes back from its Flush too
	})
}

// writeAtomic writes b to a temporary file in path's dir and renames it
// over path.
func writeAtomic(path string, b []byte) error {
	return writeAtomicFunc(path, func(w *bufio.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeAtomicFunc writes what write writes to a temporary file in path's
// dir and renames it over path.
func writeAtomicFunc(path string, write func(*bufio.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(tmp, 64<<10)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// inventoryTick runs on the writer goroutine at every flush: it writes the
// inventories when they changed and answers a pin request, when this store
// holds the dir. A failed write is retried at the next tick.
func (s *Store) inventoryTick() {
	if s.disk == nil {
		return
	}
	s.answerPinRequest()
	s.inv.mu.Lock()
	if !s.inv.dirty || s.inv.keep {
		s.inv.mu.Unlock()
		return
	}
	saved := make(map[string]probe.SavedInventory, len(s.inv.saved))
	for k, v := range s.inv.saved {
		saved[k] = v
	}
	s.inv.dirty = false
	s.inv.mu.Unlock()
	if err := writeInventory(filepath.Join(s.opts.Dir, InventoryFileName), saved); err != nil {
		s.inv.mu.Lock()
		s.inv.dirty = true
		s.inv.mu.Unlock()
	}
}

type pinRequest struct {
	Servers []string `json:"servers"` // empty: all
}

type pinResult struct {
	Accepted []string `json:"accepted"`
	Unknown  []string `json:"unknown,omitempty"` // named servers with no inventory recorded
	PID      int      `json:"pid"`
}

// answerPinRequest accepts what a pin request in the dir asks for and
// leaves the answer for `mcpwatch pin` to read.
func (s *Store) answerPinRequest() {
	path := filepath.Join(s.opts.Dir, PinRequestName)
	b, err := boundedfile.Read(path, maxPinRequest)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	_ = os.Remove(path)
	var req pinRequest
	if err != nil || json.Unmarshal(b, &req) != nil {
		return
	}
	res := pinResult{Accepted: []string{}, PID: os.Getpid()}
	s.inv.mu.Lock()
	fn := s.inv.onRequest
	for _, name := range req.Servers {
		if _, ok := s.inv.saved[name]; !ok {
			res.Unknown = append(res.Unknown, name)
		}
	}
	s.inv.mu.Unlock()
	if fn != nil {
		res.Accepted = append(res.Accepted, fn(req.Servers)...)
	}
	out, _ := json.Marshal(res)
	_ = writeAtomic(filepath.Join(s.opts.Dir, PinResultName), out)
}

// PinOutcome is what PinInventory did.
type PinOutcome struct {
	Accepted []string // servers whose pin changed
	// RunningPID is the mcpwatch that holds the dir and accepted the
	// request; 0 when the file was changed directly.
	RunningPID int
	// Unknown are named servers with no inventory recorded.
	Unknown []string
}

// ErrPinNotAnswered: the mcpwatch holding the dir did not answer a pin
// request within the wait (it may be an older build, or stuck).
var ErrPinNotAnswered = errors.New("the running mcpwatch did not answer the pin request")

// PinInventory accepts the newest inventory of the named servers (all when
// none are named) in the state dir. When no mcpwatch holds the dir, it
// rewrites the inventory file itself. When one does, its file lock keeps
// everyone else out, so the request is left in the dir for it: it answers
// at its next write tick (a second), and PinInventory waits up to wait.
func PinInventory(dir string, servers []string, wait time.Duration) (PinOutcome, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return PinOutcome{}, fmt.Errorf("state dir %s does not exist: no mcpwatch has recorded an inventory there (is --state-dir right?)", dir)
	}
	lock, err := lockDir(filepath.Join(dir, LockName))
	var locked errLocked
	if errors.As(err, &locked) {
		return requestPin(dir, servers, wait)
	}
	if err != nil {
		return PinOutcome{}, err
	}
	defer lock.release()
	path := filepath.Join(dir, InventoryFileName)
	saved, err := readInventory(path)
	if err != nil {
		return PinOutcome{}, fmt.Errorf("%s: %w", path, err)
	}
	var out PinOutcome
	for _, name := range servers {
		if _, ok := saved[name]; !ok {
			out.Unknown = append(out.Unknown, name)
		}
	}
	for name, sv := range saved {
		if len(servers) > 0 && !slices.Contains(servers, name) {
			continue
		}
		if sv.Latest == nil || (sv.Pinned != nil && sv.Pinned.Hash == sv.Latest.Hash) {
			continue
		}
		saved[name] = probe.SavedInventory{Pinned: sv.Latest, Latest: sv.Latest}
		out.Accepted = append(out.Accepted, name)
	}
	slices.Sort(out.Accepted)
	if len(out.Accepted) == 0 {
		return out, nil
	}
	return out, writeInventory(path, saved)
}

func requestPin(dir string, servers []string, wait time.Duration) (PinOutcome, error) {
	result := filepath.Join(dir, PinResultName)
	_ = os.Remove(result) // an old answer is not this request's
	b, _ := json.Marshal(pinRequest{Servers: servers})
	if err := writeAtomic(filepath.Join(dir, PinRequestName), b); err != nil {
		return PinOutcome{}, err
	}
	deadline := time.Now().Add(wait)
	for {
		if b, err := boundedfile.Read(result, maxPinRequest); err == nil {
			_ = os.Remove(result)
			var res pinResult
			if err := json.Unmarshal(b, &res); err != nil {
				return PinOutcome{}, fmt.Errorf("%s: %w", result, err)
			}
			slices.Sort(res.Accepted)
			return PinOutcome{Accepted: res.Accepted, RunningPID: res.PID, Unknown: res.Unknown}, nil
		}
		if time.Now().After(deadline) {
			_ = os.Remove(filepath.Join(dir, PinRequestName))
			return PinOutcome{}, ErrPinNotAnswered
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ReadInventories reads the pins of the state dir without taking its lock
// (the file is only ever replaced whole): what `check` compares with.
func ReadInventories(dir string) (map[string]probe.SavedInventory, error) {
	return readInventory(filepath.Join(dir, InventoryFileName))
}

// MergeInventories writes saved (per server) into the state dir's inventory
// file when no mcpwatch holds the dir: how `check`, run from cron, pins a
// first inventory and records the newest one for `mcpwatch pin`. While one
// holds the dir it is the one that records; ok is false and nothing changes.
// A pin already in the file is kept: only servers without one get saved's.
func MergeInventories(dir string, saved map[string]probe.SavedInventory) (ok bool, err error) {
	if len(saved) == 0 {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	lock, err := lockDir(filepath.Join(dir, LockName))
	if err != nil {
		return false, nil
	}
	defer lock.release()
	path := filepath.Join(dir, InventoryFileName)
	all, err := readInventory(path)
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	mergePins(all, saved)
	return true, writeInventory(path, all)
}

// mergePins adds from's inventories to into, the file's. A pin in the file
// wins: it may have been made (mcpwatch pin) while from's owner was
// sweeping, or through the mcpwatch that held the dir; from's pin is only
// what it read or first saw.
func mergePins(into, from map[string]probe.SavedInventory) {
	for k, v := range from {
		if had := into[k]; had.Pinned != nil {
			v.Pinned = had.Pinned
		}
		into[k] = v
	}
}
