package tui

import (
	"slices"
	"sync"
	"weak"

	"github.com/mcpwatch/mcpwatch/probe"
)

// sortedFleet is every server of one snapshot in one sort, the widest name
// among them and their counts. It is shared, never modified once built: the dashboards
// of one process (ten SSH viewers, say) that show the same snapshot in the
// same sort read one copy instead of sorting and holding one each (at 10,000
// servers, 480 KB and a millisecond a viewer per snapshot).
type sortedFleet struct {
	snap      *probe.Snapshot
	spec      sortSpec
	rows      []row
	nameWidth int
	counts    [len(probe.Statuses) + 1]int
	warned    int
}

type sortSpec struct {
	by      sortKey
	reverse bool
}

// sortedCache holds, per sort, the fleet last built for it, weakly: an
// entry lives while some dashboard shows it, so the cache itself keeps no
// rows and no snapshot alive.
var sortedCache = struct {
	sync.Mutex
	m map[sortSpec]weak.Pointer[sortedFleet]
}{m: map[sortSpec]weak.Pointer[sortedFleet]{}}

// sortFleet returns snap's servers sorted by spec: the shared copy when
// another dashboard has built it, else a new one, built from the last
// fleet of the same sort (or from prev, this dashboard's last one; see
// rebuildFleet). compareRows is a total order, so where the sort starts
// does not change its result.
func sortFleet(snap *probe.Snapshot, spec sortSpec, prev *sortedFleet) *sortedFleet {
	sortedCache.Lock()
	defer sortedCache.Unlock()
	last := sortedCache.m[spec].Value()
	if last != nil && last.snap == snap {
		return last
	}
	if last == nil || len(last.rows) != len(snap.Servers) {
		last = prev
	}
	f := buildFleet(snap, spec, last)
	sortedCache.m[spec] = weak.Make(f)
	return f
}

func buildFleet(snap *probe.Snapshot, spec sortSpec, from *sortedFleet) *sortedFleet {
	if from != nil && len(from.rows) == len(snap.Servers) && len(from.snap.Servers) == len(snap.Servers) {
		return rebuildFleet(snap, spec, from)
	}
	servers := snap.Servers
	all := make([]row, 0, len(servers))
	for i := range servers {
		all = append(all, makeRow(i, servers[i]))
	}
	slices.SortFunc(all, compareRows(spec.by, spec.reverse))
	f := &sortedFleet{snap: snap, spec: spec, rows: all, nameWidth: nameWidthOf(servers)}
	f.counts, f.warned = countRows(servers, all)
	return f
}

// rebuildFleet builds snap's fleet from the last one, from. The pool
// replaces a changed server's state and shares the others between
// snapshots, so only a state that is not the one from saw is read: its row
// made again, the counts moved by the difference. Reading every state, in
// sorted order, was most of a rebuild at 10,000 servers (cache misses).
// Starting from the last order makes the sort nearly linear: between two
// snapshots few servers change places.
func rebuildFleet(snap *probe.Snapshot, spec sortSpec, from *sortedFleet) *sortedFleet {
	servers, old := snap.Servers, from.snap.Servers
	f := &sortedFleet{snap: snap, spec: spec, rows: make([]row, len(servers)),
		counts: from.counts, warned: from.warned, nameWidth: from.nameWidth}
	renamed := false
	for i, r := range from.rows {
		st, was := servers[r.idx], old[r.idx]
		if st == was {
			f.rows[i] = r
			continue
		}
		f.rows[i] = makeRow(r.idx, st)
		f.counts[min(was.Last.Status.Severity(), len(f.counts)-1)]--
		f.counts[min(st.Last.Status.Severity(), len(f.counts)-1)]++
		if len(was.Warnings) > 0 {
			f.warned--
		}
		if len(st.Warnings) > 0 {
			f.warned++
		}
		renamed = renamed || st.Name != was.Name
	}
	if renamed { // a reload: the widest name may have gone
		f.nameWidth = nameWidthOf(servers)
	}
	slices.SortFunc(f.rows, compareRows(spec.by, spec.reverse))
	return f
}

// nameWidthOf is the widest name of servers on screen.
func nameWidthOf(servers []*probe.ServerState) int {
	w := 0
	for _, st := range servers {
		w = max(w, width(clean(st.Name)))
	}
	return w
}
