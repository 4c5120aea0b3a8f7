package tui

import (
	"cmp"
	"math"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

type sortKey int

const (
	sortSeverity sortKey = iota
	sortName
	sortLatency
	sortExpiry
	sortKeys // how many there are
)

func (s sortKey) String() string {
	return [...]string{"severity", "name", "latency", "token expiry"}[s]
}

// row is one server in the table: where it lives in the snapshot and the
// keys it sorts by, gathered once per rebuild so that sorting 10,000 rows
// touches nothing else.
type row struct {
	idx     int
	name    string
	sev     int
	latency time.Duration // 0 when the last check measured none
	expiry  int64         // token expiry in Unix ns; MaxInt64 without a token
}

func makeRow(i int, st *probe.ServerState) row {
	r := row{idx: i, name: st.Name, sev: rank(st), latency: st.Last.Latency, expiry: math.MaxInt64}
	if st.Token != nil && !st.Token.Expiry.IsZero() {
		r.expiry = st.Token.Expiry.UnixNano()
	}
	return r
}

// rank is a server's place in the severity sort: the failing statuses, then
// degraded, then a server that warns (healthy but its token refresh fails,
// or flapping), then the rest in status order.
func rank(st *probe.ServerState) int {
	sev := st.Last.Status.Severity() * 2
	if len(st.Warnings) > 0 && !failingish(st.Last.Status) {
		return probe.StatusDegraded.Severity()*2 + 1
	}
	return sev
}

// failingish is a status that needs a look: failing or degraded.
func failingish(s probe.Status) bool {
	return s == probe.StatusAuthError || s == probe.StatusUnhealthy || s == probe.StatusDegraded
}

// needsLook is what 'f' keeps: a failingish status, or any warning.
func needsLook(st *probe.ServerState) bool {
	return failingish(st.Last.Status) || len(st.Warnings) > 0
}

// matches reports whether a server's name or one of its tags contains the
// lower-cased query.
func matches(st *probe.ServerState, q string) bool {
	if strings.Contains(strings.ToLower(st.Name), q) {
		return true
	}
	for _, t := range st.Tags {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}

// compareRows orders rows by the sort key, then by name, then by position
// in the config, so that every order is total and stable between rebuilds;
// reverse turns the whole order around.
func compareRows(by sortKey, reverse bool) func(a, b row) int {
	cmp := compareBy(by)
	if reverse {
		return func(a, b row) int { return cmp(b, a) }
	}
	return cmp
}

func compareBy(by sortKey) func(a, b row) int {
	switch by {
	case sortName:
		return byName
	case sortLatency: // slowest first; nothing measured last
		return func(a, b row) int {
			if (a.latency == 0) != (b.latency == 0) {
				if a.latency == 0 {
					return 1
				}
				return -1
			}
			if a.latency != b.latency {
				return cmp.Compare(b.latency, a.latency)
			}
			return byName(a, b)
		}
	case sortExpiry: // soonest first; no token last
		return func(a, b row) int {
			if a.expiry != b.expiry {
				return cmp.Compare(a.expiry, b.expiry)
			}
			return byName(a, b)
		}
	}
	return func(a, b row) int {
		if a.sev != b.sev {
			return cmp.Compare(a.sev, b.sev)
		}
		return byName(a, b)
	}
}

func byName(a, b row) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

// rebuild recomputes counts and the shown rows from the snapshot, the
// filter, the failing-only switch and the sort, then puts the cursor back on
// the server it was on.
func (m *Model) rebuild() {
	servers := m.snap.Servers
	// Every server, sorted: shared with the other dashboards showing this
	// snapshot in this sort, so never modified here.
	m.all = sortFleet(m.snap, sortSpec{m.sortBy, m.reverse}, m.all)
	all := m.all.rows

	q := strings.ToLower(strings.TrimSpace(m.filter))
	rows := all
	if q != "" || m.failingOnly {
		rows = make([]row, 0, len(all))
		for _, r := range all {
			st := servers[r.idx]
			if m.failingOnly && !needsLook(st) || q != "" && !matches(st, q) {
				continue
			}
			rows = append(rows, r)
		}
	}
	// The counts are of the servers shown; the header says "3 of 11".
	m.counts, m.warned = m.all.counts, m.all.warned
	if len(rows) != len(all) {
		m.counts, m.warned = countRows(servers, rows)
	}
	m.rows, m.fleetNameWidth = rows, m.all.nameWidth
	m.restoreCursor()
}

// countRows counts rows per status (probe.Statuses index; the last slot is
// statuses this build does not know) and those with a warning.
func countRows(servers []*probe.ServerState, rows []row) (counts [len(probe.Statuses) + 1]int, warned int) {
	for _, r := range rows {
		st := servers[r.idx]
		counts[min(st.Last.Status.Severity(), len(counts)-1)]++
		if len(st.Warnings) > 0 {
			warned++
		}
	}
	return counts, warned
}

// restoreCursor finds the selected server in the new rows, once the user
// has pressed a key: until then the cursor on the first row watches
// whatever is most severe. When the server is gone the cursor stays at the
// same position; in the detail view the selection is kept, so the page goes
// on showing the server it was opened on.
func (m *Model) restoreCursor() {
	keep := m.mode == modeDetail || m.back == modeDetail && (m.mode == modeEvents || m.mode == modeEventsFilter || m.mode == modeConfig)
	if m.selected != "" && (m.follow || keep) {
		for i := range m.rows {
			if m.rows[i].name == m.selected {
				m.cursor = i
				m.keepCursorVisible()
				return
			}
		}
	}
	m.cursor = min(max(m.cursor, 0), max(len(m.rows)-1, 0))
	if !keep || m.selected == "" {
		m.selected = ""
		if len(m.rows) > 0 {
			m.selected = m.rows[m.cursor].name
		}
	}
	m.keepCursorVisible()
}

// state is the server of row r.
func (m *Model) state(r row) *probe.ServerState { return m.snap.Servers[r.idx] }

// selectedState is the server under the cursor, or the one the detail view
// was opened on when a filter has since hidden it.
func (m *Model) selectedState() *probe.ServerState {
	if m.cursor < len(m.rows) && m.rows[m.cursor].name == m.selected {
		return m.state(m.rows[m.cursor])
	}
	for i := range m.snap.Servers {
		if m.snap.Servers[i].Name == m.selected {
			return m.snap.Servers[i]
		}
	}
	return nil
}

// resolvePending forgets rechecks that a snapshot now reports on: the
// server is checking, or has a result other than the one it had.
func (m *Model) resolvePending() {
	if len(m.pending) == 0 {
		return
	}
	next := make(map[string]time.Time, len(m.pending))
	for i := range m.snap.Servers {
		st := m.snap.Servers[i]
		if t, ok := m.pending[st.Name]; ok && !st.Checking && st.Last.Started.Equal(t) {
			next[st.Name] = t
		}
	}
	m.pending = next
}

// checking reports whether st should show as being checked.
func (m *Model) checking(st *probe.ServerState) bool {
	if st.Checking {
		return true
	}
	if len(m.pending) == 0 {
		return false
	}
	_, ok := m.pending[st.Name]
	return ok
}
