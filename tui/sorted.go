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
// another dashboard has built it, else a new one, sorted starting from the
// last order of the same sort (or from prev, this dashboard's last order),
// which makes the sort nearly linear: between two snapshots few servers
// change places. compareRows is a total order, so where the sort starts
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
	servers := snap.Servers
	all := make([]row, 0, len(servers))
	if from != nil && len(from.rows) == len(servers) {
		for _, r := range from.rows {
			all = append(all, makeRow(r.idx, servers[r.idx]))
		}
	} else {
		for i := range servers {
			all = append(all, makeRow(i, servers[i]))
		}
	}
	slices.SortFunc(all, compareRows(spec.by, spec.reverse))
	nameWidth := 0
	for i := range servers {
		nameWidth = max(nameWidth, width(clean(servers[i].Name)))
	}
	f := &sortedFleet{snap: snap, spec: spec, rows: all, nameWidth: nameWidth}
	f.counts, f.warned = countRows(servers, all)
	return f
}
