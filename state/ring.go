package state

import "math"

// hourRing counts one server's results over a week, by the hour. It holds
// the hours newest-hourSlots < h <= newest, hour h at h%hourSlots, and
// stores how many results were checked in each and, only once some result
// of the week was down, how many were down: a server up all week costs 336
// bytes of counts, one that failed 672 (a ring of slots with their own
// index and both counts cost 1,344 whatever happened).
type hourRing struct {
	newest  int32
	checked [hourSlots]uint16
	down    *[hourSlots]uint16 // nil while nothing in the ring was down
}

// inRing reports whether hour h is in the ring's week.
func (r *hourRing) inRing(h int32) bool { return h <= r.newest && h > r.newest-hourSlots }

// advance moves the ring's newest hour to h, emptying the hours between,
// and lets the down counts go once none is left in the week.
func (r *hourRing) advance(h int32) {
	for x := r.newest + 1; x <= h && x <= r.newest+hourSlots; x++ {
		r.checked[x%hourSlots] = 0
		if r.down != nil {
			r.down[x%hourSlots] = 0
		}
	}
	r.newest = h
	if r.down != nil && *r.down == [hourSlots]uint16{} {
		r.down = nil
	}
}

// add counts one result in hour h, as slot.add does: a result older than
// the week is not counted, nor one past 65,535 in an hour.
func (r *hourRing) add(h int32, up bool) bool {
	if h > r.newest {
		r.advance(h)
	}
	if !r.inRing(h) {
		return false
	}
	i := h % hourSlots
	if r.checked[i] == math.MaxUint16 {
		return false
	}
	r.checked[i]++
	if !up {
		if r.down == nil {
			r.down = new([hourSlots]uint16)
		}
		r.down[i]++
	}
	return true
}

// slot is hour h's counts; idx is 0 when the ring does not hold h.
func (r *hourRing) slot(h int32) slot {
	if !r.inRing(h) {
		return slot{}
	}
	i := h % hourSlots
	s := slot{idx: h, checked: r.checked[i], up: r.checked[i]}
	if r.down != nil {
		s.up -= r.down[i]
	}
	return s
}

// set puts a stored bucket back (restore); one older than the week is
// dropped, up is never above checked.
func (r *hourRing) set(s slot) {
	if s.idx > r.newest {
		r.advance(s.idx)
	}
	if !r.inRing(s.idx) {
		return
	}
	i := s.idx % hourSlots
	r.checked[i] = s.checked
	down := s.checked - min(s.up, s.checked)
	if r.down == nil && down > 0 {
		r.down = new([hourSlots]uint16)
	}
	if r.down != nil {
		r.down[i] = down
	}
}

// fiveRing is the last hour in five-minute buckets: few enough that each
// slot keeps its own index.
type fiveRing [fiveSlots]slot

func (r *fiveRing) add(f int32, up bool) bool { return r[f%fiveSlots].add(f, up) }

// slot is bucket f's counts; idx is 0 when the ring does not hold f.
func (r *fiveRing) slot(f int32) slot {
	if s := r[f%fiveSlots]; s.idx == f {
		return s
	}
	return slot{}
}

func (r *fiveRing) set(s slot) { r[s.idx%fiveSlots] = s }
