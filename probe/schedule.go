package probe

import "container/heap"

// schedule is a min-heap of entries by next check time, so the dispatcher
// finds what is due without scanning every server.
type schedule []*entry

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].next.Before(s[j].next) }
func (s schedule) Swap(i, j int) {
	s[i], s[j] = s[j], s[i]
	s[i].index, s[j].index = i, j
}
func (s *schedule) Push(x any) {
	e := x.(*entry)
	e.index = len(*s)
	*s = append(*s, e)
}
func (s *schedule) Pop() any {
	old := *s
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*s = old[:len(old)-1]
	e.index = -1
	return e
}

func (s *schedule) push(e *entry)   { heap.Push(s, e) }
func (s *schedule) pop() *entry     { return heap.Pop(s).(*entry) }
func (s *schedule) fix(e *entry)    { heap.Fix(s, e.index) }
func (s *schedule) remove(e *entry) { heap.Remove(s, e.index) }
func (s schedule) peek() *entry {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}
