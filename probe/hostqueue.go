package probe

// hostQueue hands items out first come, first served, keeping at most
// perHost of one host out at once: an item whose host is full waits aside
// until a check of that host ends, so that it holds up no worker that other
// hosts could use. Run's queue and Sweep's are one each; their owners lock.
type hostQueue[T any] struct {
	ready   []queued[T]    // first come, first taken; counted in busy
	waiting map[string][]T // set aside, by host, in order
	parked  int            // items in waiting
	busy    map[string]int // items out (or ready) per host
	perHost int
}

// queued is an item and the host it was counted under (a reload may move a
// server to another host while it waits).
type queued[T any] struct {
	item T
	host string
}

func newHostQueue[T any](perHost int) hostQueue[T] {
	return hostQueue[T]{waiting: map[string][]T{}, busy: map[string]int{}, perHost: max(perHost, 1)}
}

// push queues item, counted under host.
func (q *hostQueue[T]) push(item T, host string) {
	if q.busy[host] < q.perHost {
		q.busy[host]++
		q.ready = append(q.ready, queued[T]{item, host})
		return
	}
	q.waiting[host] = append(q.waiting[host], item)
	q.parked++
}

// take returns the next item and the host it counts under.
func (q *hostQueue[T]) take() (queued[T], bool) {
	if len(q.ready) == 0 {
		return queued[T]{}, false
	}
	next := q.ready[0]
	q.ready[0] = queued[T]{}
	q.ready = q.ready[1:]
	if len(q.ready) == 0 {
		q.ready = nil // let a first round's backing array go
	}
	return next, true
}

// done frees a place on host: the first item set aside there takes it over.
func (q *hostQueue[T]) done(host string) {
	if w := q.waiting[host]; len(w) > 0 {
		q.ready = append(q.ready, queued[T]{w[0], host})
		q.parked--
		if len(w) == 1 {
			delete(q.waiting, host)
		} else {
			q.waiting[host] = w[1:]
		}
		return
	}
	if q.busy[host]--; q.busy[host] <= 0 {
		delete(q.busy, host)
	}
}

// relimit moves items set aside to ready while their host has room under a
// new per-host limit (a reload changed it).
func (q *hostQueue[T]) relimit(perHost int) {
	q.perHost = max(perHost, 1)
	for h, w := range q.waiting {
		for len(w) > 0 && q.busy[h] < q.perHost {
			q.busy[h]++
			q.ready = append(q.ready, queued[T]{w[0], h})
			w = w[1:]
			q.parked--
		}
		if len(w) == 0 {
			delete(q.waiting, h)
		} else {
			q.waiting[h] = w
		}
	}
}

// drain empties the queue and returns what waited in it. busy stays: the
// items out still report done.
func (q *hostQueue[T]) drain() []T {
	var out []T
	for _, r := range q.ready {
		out = append(out, r.item)
	}
	for _, w := range q.waiting {
		out = append(out, w...)
	}
	q.ready, q.waiting, q.parked = nil, map[string][]T{}, 0
	return out
}
