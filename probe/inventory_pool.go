package probe

import (
	"fmt"
	"slices"
	"time"
)

// invState is the pool's inventory memory of one server. Guarded by
// Pool.mu; the inventories are never mutated once stored, so snapshots
// share them.
type invState struct {
	pinned  *Inventory // accepted by the operator, or the first one seen
	current *Inventory // the newest complete inventory
	lists   listCache  // for the next check (ttlMs)
	failure *InventoryError
	changes []InventoryChange // current against pinned
}

// InventoryState is a server's inventory as a view sees it.
type InventoryState struct {
	Pinned  *Inventory        `json:"-"`
	Current *Inventory        `json:"-"`
	Changes []InventoryChange `json:"changes,omitempty"`
	Failure *InventoryError   `json:"failure,omitempty"`
}

// SavedInventory is what the state store keeps of a server's inventory:
// the pin, and the newest inventory seen (so `mcpwatch pin` can accept it
// while no mcpwatch runs).
type SavedInventory struct {
	Pinned *Inventory `json:"pinned,omitempty"`
	Latest *Inventory `json:"latest,omitempty"`
}

// OnInventory registers fn to hear every change of a server's pinned or
// newest inventory (the state store keeps them), outside the pool's lock.
// Call it before Run or Sweep.
func (p *Pool) OnInventory(fn func(server string, saved SavedInventory)) { p.onInventory = fn }

// RestoreInventory seeds the pool with pins an earlier run (or `mcpwatch
// pin`) left. The newest inventory is restored too, so a drift seen before
// a restart still shows before the first check. Call it before Run or Sweep.
func (p *Pool) RestoreInventory(saved map[string]SavedInventory) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, s := range saved {
		e, ok := p.byName[name]
		if !ok || s.Pinned == nil {
			continue
		}
		e.inv = &invState{pinned: s.Pinned, current: s.Latest}
		if s.Latest != nil {
			e.inv.changes = diffInventory(s.Pinned, s.Latest)
		}
		p.rejudgeLocked(e, time.Now()) // restored, not new: no events
	}
	p.version++
}

// AcceptInventory pins each named server's current inventory (every
// server's when names is empty): its inventory.changed warning clears.
// It returns the servers whose pin changed.
func (p *Pool) AcceptInventory(names ...string) []string {
	var evs []Event
	var saves []savedFor
	var accepted []string
	p.mu.Lock()
	for _, e := range p.entries {
		if len(names) > 0 && !slices.Contains(names, e.srv.Name) {
			continue
		}
		if e.inv == nil || e.inv.current == nil || (e.inv.pinned != nil && e.inv.pinned.Hash == e.inv.current.Hash) {
			continue
		}
		now := time.Now()
		from := shortHash(e.inv.pinned)
		e.inv = &invState{pinned: e.inv.current, current: e.inv.current, lists: e.inv.lists, failure: e.inv.failure}
		evs = append(evs, Event{At: now, Server: e.srv.Name, Kind: EventChange, Class: ChangeInventoryPin,
			From: from, To: shortHash(e.inv.current), Reason: "accepted by the operator"})
		evs = append(evs, p.rejudgeLocked(e, now)...)
		saves = append(saves, savedFor{e.srv.Name, SavedInventory{Pinned: e.inv.pinned, Latest: e.inv.current}})
		accepted = append(accepted, e.srv.Name)
		p.version++
	}
	p.mu.Unlock()
	p.emit(evs)
	p.save(saves)
	return accepted
}

type savedFor struct {
	server string
	saved  SavedInventory
}

func (p *Pool) save(saves []savedFor) {
	if p.onInventory == nil {
		return
	}
	for _, s := range saves {
		p.onInventory(s.server, s.saved)
	}
}

// noteInventoryLocked takes in what a check learned of e's inventory and
// returns the events and the saves it calls for. A check that did not get
// through (no Inventory) changes nothing: a server that is down has not
// changed what it offers.
func (p *Pool) noteInventoryLocked(e *entry, res *Result) ([]Event, []savedFor) {
	if e.srv.NoInventory {
		if e.inv != nil && (e.inv.failure != nil || e.inv.changes != nil) {
			e.inv = &invState{pinned: e.inv.pinned, current: e.inv.current} // inventory: false silences its warnings
		}
		return nil, nil
	}
	ir := res.Inventory
	if ir == nil {
		return nil, nil
	}
	old := e.inv
	if old == nil {
		old = &invState{}
	}
	st := &invState{pinned: old.pinned, current: old.current, lists: old.lists, changes: old.changes}
	e.inv = st
	if ir.Error != nil {
		st.failure = ir.Error
		return nil, nil
	}
	st.lists = ir.lists
	if old.current != nil && old.current.Hash == ir.inv.Hash {
		return nil, nil // unchanged: the stored inventory (and its At) stays
	}
	var evs []Event
	p.shareItems(ir.inv)
	st.current = ir.inv
	if st.pinned == nil {
		st.pinned = ir.inv // the first inventory seen is pinned
	} else if old.current != nil {
		evs = append(evs, Event{At: res.Started, Server: e.srv.Name, Kind: EventChange, Class: ChangeInventory,
			From: shortHash(old.current), To: shortHash(ir.inv), Reason: summarizeChanges(diffInventory(old.current, ir.inv))})
	}
	st.changes = nil
	if st.pinned.Hash != st.current.Hash {
		st.changes = diffInventory(st.pinned, st.current)
	}
	return evs, []savedFor{{e.srv.Name, SavedInventory{Pinned: st.pinned, Latest: st.current}}}
}

// shareItems gives inv the items an inventory kept before had, when they
// are the same: a fleet of servers running the same software advertises
// the same tools, and at 10,000 servers a copy each was about 10 MB. inv
// is the check's own, not stored anywhere yet.
func (p *Pool) shareItems(inv *Inventory) {
	if inv == nil || len(inv.Items) == 0 {
		return
	}
	if items, ok := p.items[inv.Hash]; ok && slices.Equal(items, inv.Items) {
		inv.Items = items
		return
	}
	if p.items == nil || len(p.items) > len(p.entries)+64 {
		p.items = map[string][]InventoryItem{} // bounded: inventories gone since are forgotten
	}
	p.items[inv.Hash] = inv.Items
}

// withoutLists is s with no ttlMs memory: a changed config lists afresh.
// The pin stays: it is what the operator accepted for this server's name,
// and a new target that advertises something else is worth a warning.
func (s *invState) withoutLists() *invState {
	if s == nil {
		return nil
	}
	return &invState{pinned: s.pinned, current: s.current, failure: s.failure, changes: s.changes}
}

// summary is r without its items and list memory: what the pool keeps in a
// server's last result once noteInventoryLocked has taken them, so that a
// fleet holds one copy of each inventory (invState's), not one per result.
func (r *InventoryResult) summary() *InventoryResult {
	if r == nil {
		return nil
	}
	c := *r
	c.inv, c.lists = nil, nil
	return &c
}

// inventoryWarnings are e's inventory warnings now.
func (e *entry) inventoryWarnings() []Warning {
	if e.inv == nil || e.srv.NoInventory {
		return nil
	}
	var ws []Warning
	if len(e.inv.changes) > 0 {
		ws = append(ws, Warning{Class: WarnInventoryChanged, Message: "inventory changed since pinned: " +
			summarizeChanges(e.inv.changes) + " (accept with a, or mcpwatch pin)"})
	}
	if f := e.inv.failure; f != nil {
		ws = append(ws, Warning{Class: WarnInventoryFailed, Message: fmt.Sprintf("listing the inventory failed: %s (%s)", f.Message, f.Class)})
	}
	return ws
}

// inventoryStateLocked is e's inventory for a snapshot; nil when none.
func (e *entry) inventoryStateLocked() *InventoryState {
	if e.inv == nil || (e.inv.current == nil && e.inv.failure == nil) {
		return nil
	}
	return &InventoryState{Pinned: e.inv.pinned, Current: e.inv.current, Changes: e.inv.changes, Failure: e.inv.failure}
}

// shortHash names an inventory in events: 12 hex digits of its hash.
func shortHash(inv *Inventory) string {
	if inv == nil || len(inv.Hash) < 12 {
		return ""
	}
	return inv.Hash[:12]
}
