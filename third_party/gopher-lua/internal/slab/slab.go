// Package slab hands out values from arrays that are reused: what a
// compile needs only while it runs, from one compile to the next.
package slab

// chunk is how many values a Slab allocates at a time.
const chunk = 16

// A Slab hands out values of arrays it keeps, each staying where it is as
// the Slab grows. The zero Slab is ready.
type Slab[T any] struct {
	chunks [][]T
	n      int
}

// Next hands out a value: zero, or as Release's drop left it.
func (s *Slab[T]) Next() *T {
	c, i := s.n/chunk, s.n%chunk
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, chunk))
	}
	s.n++
	return &s.chunks[c][i]
}

// New hands out a value set to v.
func (s *Slab[T]) New(v T) *T {
	p := s.Next()
	*p = v
	return p
}

// Release calls drop on every value handed out, then hands them out
// again.
func (s *Slab[T]) Release(drop func(*T)) {
	for i := range s.n {
		drop(&s.chunks[i/chunk][i%chunk])
	}
	s.n = 0
}

// Reset zeroes every value handed out, then hands them out again.
func (s *Slab[T]) Reset() {
	var zero T
	for i := range s.n {
		s.chunks[i/chunk][i%chunk] = zero
	}
	s.n = 0
}
