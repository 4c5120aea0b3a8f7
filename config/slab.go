package config

// plainChunk is how many nodes (or content slots) are allocated at once.
// A group's nodes are dropped once its servers are decoded, so the next
// group reuses them (reset): a load allocates a few chunks, not 25 MB of
// nodes at 10,000 servers.
const plainChunk = 256

// slab hands out values of T from chunks it keeps until reset.
type slab[T any] struct {
	chunks [][]T
	chunk  int // the chunk being handed out
	used   int // of it
}

// take is n contiguous values, not zeroed.
func (s *slab[T]) take(n int) []T {
	if s.chunk < len(s.chunks) && s.used+n > len(s.chunks[s.chunk]) {
		s.chunk, s.used = s.chunk+1, 0
	}
	if s.chunk == len(s.chunks) {
		s.chunks = append(s.chunks, nil)
	}
	if len(s.chunks[s.chunk]) < n {
		s.chunks[s.chunk] = make([]T, max(plainChunk, n))
	}
	v := s.chunks[s.chunk][s.used : s.used+n : s.used+n]
	s.used += n
	return v
}

// reset makes every value handed out free to be handed out again.
func (s *slab[T]) reset() { s.chunk, s.used = 0, 0 }
