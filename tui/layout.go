package tui

import "slices"

type colID int

// Display order, left to right.
const (
	colStatus colID = iota
	colName
	colTransport
	colAuth
	colLatency
	colHistory
	colLast
	colToken
	colMessage
)

// column is one table column as laid out for the current width.
type column struct {
	id    colID
	title string
	w     int
	right bool
}

// colSpec is what a column needs (min) and would like (ideal). A column
// that does not get its min is dropped.
type colSpec struct {
	column
	min, ideal int
}

// columnPriority is the order in which columns claim space. The core
// (status, name, token, age, latency) is admitted first and grows to its
// ideal width before any extra is considered; the extras come after, so they
// are the first to go when the terminal narrows. Among the extras the message
// comes first: why a server fails or was skipped matters more than its
// sparkline, auth kind or transport. Status and name are never dropped.
var columnPriority = []colID{colStatus, colName, colToken, colLast, colLatency, colMessage, colHistory, colAuth, colTransport}

// coreColumns is how many of columnPriority are core.
const coreColumns = 5

const (
	rowPrefix = 2 // the cursor mark and a space
	colGap    = 2
)

func (m *Model) colSpecs() [colMessage + 1]colSpec {
	name := min(max(m.nameWidth, 8), 40)
	last := max(10, width(m.glyphs.checking))
	token := max(m.tokenWidth, len("TOKEN"))
	spec := func(id colID, title string, minW, ideal int, right bool) colSpec {
		return colSpec{column: column{id: id, title: title, right: right}, min: minW, ideal: max(ideal, minW)}
	}
	return [...]colSpec{
		colStatus:    spec(colStatus, "STATUS", 12, 12, false),
		colName:      spec(colName, "NAME", min(name, 20), name, false),
		colTransport: spec(colTransport, "TRANSPORT", 9, 9, false),
		colAuth:      spec(colAuth, "AUTH", 11, 11, false),
		colLatency:   spec(colLatency, "LATENCY", 7, 7, true),
		colHistory:   spec(colHistory, "HISTORY", 8, 12, false),
		colLast:      spec(colLast, "LAST CHECK", last, last, false),
		colToken:     spec(colToken, "TOKEN", min(token, 17), token, false),
		colMessage:   spec(colMessage, "MESSAGE", 16, 16, false),
	}
}

// columns lays the table out for total cells. Core columns are admitted at
// their minimum in priority order while they fit, then grow toward their
// ideal in the same order. Then each extra, in order, is admitted if its
// minimum fits and takes up to its ideal; the message takes whatever is left.
func (m *Model) columns(total int) []column {
	specs := m.colSpecs()
	avail := total - rowPrefix
	var chosen []colSpec
	admit := func(sp colSpec, w int) {
		if len(chosen) > 0 {
			avail -= colGap
		}
		sp.w = w
		avail -= w
		chosen = append(chosen, sp)
	}
	gap := func() int {
		if len(chosen) > 0 {
			return colGap
		}
		return 0
	}
	for _, id := range columnPriority[:coreColumns] {
		sp := specs[id]
		switch {
		case sp.min+gap() <= avail:
			admit(sp, sp.min)
		case id == colStatus || id == colName:
			admit(sp, max(avail-gap(), 0))
		}
	}
	for i := range chosen {
		grow := max(min(chosen[i].ideal-chosen[i].w, avail), 0)
		chosen[i].w += grow
		avail -= grow
	}
	for _, id := range columnPriority[coreColumns:] {
		if sp := specs[id]; sp.min+gap() <= avail {
			admit(sp, min(sp.ideal, avail-gap()))
		}
	}
	for i := range chosen {
		if chosen[i].id == colMessage {
			chosen[i].w += max(avail, 0)
		}
	}
	slices.SortFunc(chosen, func(a, b colSpec) int { return int(a.id - b.id) })
	cols := make([]column, len(chosen))
	for i, c := range chosen {
		cols[i] = c.column
	}
	return cols
}
