package tui

type colID int

// Display order, left to right.
const (
	colStatus colID = iota
	colName
	colFor // how long the server has been in its status
	colLatency
	colHistory
	colLast
	colToken
	colReason
)

// column is one table column as laid out for the current width.
type column struct {
	id    colID
	title string
	w     int
	right bool
}

// layout is the table's columns for one width. It depends on the width and
// on the longest name in the fleet (the config), never on the rows shown,
// their content, the filter or the mode, so the screen keeps still.
//
// A row that has a reason (it is not healthy, or it warns) says it in full
// where the measurement columns are: from column span to the end of the
// line. A failing row has no latency to show and its age and token matter
// less than why it fails. When the terminal is wide enough for every
// measurement and a reason of reasonWide cells besides, the reason gets a
// column of its own instead (span is -1) and every row shows everything.
type layout struct {
	cols []column
	span int
}

const (
	rowPrefix = 2 // the cursor mark and a space
	colGap    = 2

	statusWidth = 12 // "⊗ auth_error"
	forWidth    = 4  // "<1m", "59m", "23h", "364d"
	// reasonNarrow is how many cells of a reason a row shows whole at 80
	// columns, reasonWide from 120 on; in between it grows with the width.
	// One more cell is for the ellipsis of a longer reason. The name column
	// gives way to them, down to nameFloor cells.
	reasonNarrow = 40
	reasonWide   = 80
	nameFloor    = 15
	nameCeiling  = 40
)

// measures are the measurement columns in the order they claim room.
var measures = [...]column{
	{id: colLatency, title: "LATENCY", w: 8, right: true}, // room for the sort mark
	{id: colLast, title: "LAST CHECK", w: 10},
	{id: colToken, title: "TOKEN", w: 17}, // "expires in 59m59s"
	{id: colHistory, title: "HISTORY", w: 12},
}

// nameWidth is the name column's width at total cells: the longest name in
// the fleet, as far as the reason's room allows.
func (m *Model) nameWidth(total int) int {
	fixed := rowPrefix + statusWidth + colGap + colGap + forWidth + colGap
	need := min(max(reasonNarrow+total-80, reasonNarrow), reasonWide) + 1
	room := min(max(total-fixed-need, nameFloor), nameCeiling)
	if total < 80 {
		room = min(nameFloor, max(total-fixed-reasonNarrow/2, len("NAME")))
	}
	return min(max(m.fleetNameWidth, len("NAME")), room)
}

// columns lays the table out for total cells.
func (m *Model) columns(total int) layout {
	check := max(len("LAST CHECK"), width(m.glyphs.checking))
	cols := []column{
		{id: colStatus, title: "STATUS", w: statusWidth},
		{id: colName, title: "NAME", w: m.nameWidth(total)},
		{id: colFor, title: "FOR", w: forWidth},
	}
	region := total - rowPrefix
	for _, c := range cols {
		region -= c.w + colGap
	}
	if region < 0 { // a tiny terminal: status, then as much name as fits
		cols[1].w = max(cols[1].w+region, 0)
		return layout{cols: cols[:2], span: 2}
	}
	ms := measures
	ms[1].w = check
	all := -colGap
	for _, c := range ms {
		all += colGap + c.w
	}
	if region >= all+colGap+reasonWide+1 {
		cols = append(cols, ms[0], ms[3], ms[1], ms[2])
		return layout{cols: append(cols, column{id: colReason, title: "REASON", w: region - all - colGap}), span: -1}
	}
	// Measurements as they fit, in priority order, then shown in display order.
	n, used := 0, 0
	for _, c := range ms {
		g := colGap * min(used, 1)
		if used+g+c.w > region {
			break
		}
		n++
		used += g + c.w
	}
	span := len(cols)
	for _, i := range []int{0, 3, 1, 2} { // latency, history, last check, token
		if i < n {
			cols = append(cols, ms[i])
		}
	}
	return layout{cols: cols, span: span}
}

// reasonWidth is the room a row's reason has in l at total cells.
func (l layout) reasonWidth(total int) int {
	if l.span < 0 {
		return l.cols[len(l.cols)-1].w
	}
	w := total - rowPrefix
	for _, c := range l.cols[:l.span] {
		w -= c.w + colGap
	}
	return max(w, 0)
}

// width is the cells a row of l takes.
func (l layout) width() int {
	w := rowPrefix + colGap*max(len(l.cols)-1, 0)
	for _, c := range l.cols {
		w += c.w
	}
	return w
}
