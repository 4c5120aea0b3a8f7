package config

// locTable maps field paths to where their keys and values are. It is
// filled for every key of every server and read only to place an error, so
// while it is small (a server has about fifteen keys) it is a slice that
// set appends to and get searches from the end, the latest setting of a
// path winning as a map's would; past smallLocs entries (a mapping of many
// keys, a long list) it moves to a map. A map for each server's keys was a
// tenth of Parse's time at 10,000 servers.
type locTable struct {
	small []locEntry
	big   map[locKey]loc
}

type locEntry struct {
	k locKey
	l loc
}

const smallLocs = 32

func (t *locTable) set(k locKey, l loc) {
	if t.big == nil && len(t.small) < smallLocs {
		t.small = append(t.small, locEntry{k, l})
		return
	}
	if t.big == nil {
		t.big = make(map[locKey]loc, 2*smallLocs)
		for _, e := range t.small {
			t.big[e.k] = e.l
		}
	}
	t.big[k] = l
}

// get is nil-safe: a programmatic server (Server.Validate) has no table.
func (t *locTable) get(k locKey) (loc, bool) {
	if t == nil {
		return loc{}, false
	}
	if t.big != nil {
		l, ok := t.big[k]
		return l, ok
	}
	for i := len(t.small) - 1; i >= 0; i-- {
		if t.small[i].k == k {
			return t.small[i].l, true
		}
	}
	return loc{}, false
}

// reset empties the table, keeping its slice for the next server.
func (t *locTable) reset() {
	t.small = t.small[:0]
	t.big = nil
}
