package logs

import (
	"errors"
	"fmt"
	"sync"
)

// DefaultSize is how many records a ring keeps unless told.
const DefaultSize = 10_000

// ErrClosed is returned by Follower.Next once the ring is closed.
var ErrClosed = errors.New("script log closed")

// Ring keeps the last records added. It is safe for concurrent use; Add
// holds its lock for a copy into a slot and a wake-up of each follower,
// never for a reader.
type Ring struct {
	mu      sync.Mutex
	records []Record
	// next is the sequence number the next record gets; record n lives in
	// records[n%len(records)] until record n+len(records) replaces it.
	next      uint64
	followers map[*Follower]struct{}
	closed    bool
}

// NewRing returns a ring of size records; zero means DefaultSize.
func NewRing(size int) (*Ring, error) {
	if size < 0 {
		return nil, fmt.Errorf("log buffer %d: must be positive", size)
	}
	if size == 0 {
		size = DefaultSize
	}
	return &Ring{records: make([]Record, size), followers: map[*Follower]struct{}{}}, nil
}

// Size is how many records r keeps.
func (r *Ring) Size() int { return len(r.records) }

// Add appends rec, replacing the oldest record when the ring is full, and
// wakes the followers. It never blocks on them.
func (r *Ring) Add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.records[r.next%uint64(len(r.records))] = rec
	r.next++
	for f := range r.followers {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// oldest is the sequence number of the oldest record kept. r.mu must be
// held.
func (r *Ring) oldest() uint64 {
	if size := uint64(len(r.records)); r.next > size {
		return r.next - size
	}
	return 0
}

// Last returns the newest limit records that pass f, newest last; limit 0
// means all that pass.
func (r *Ring) Last(f Filter, limit int) []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last(f, limit)
}

// last is Last with r.mu held.
func (r *Ring) last(f Filter, limit int) []Record {
	var out []Record
	for n := r.next; n > r.oldest() && (limit == 0 || len(out) < limit); n-- {
		if rec := &r.records[(n-1)%uint64(len(r.records))]; f.Match(rec) {
			out = append(out, *rec)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Follow returns the newest backlog records that pass f, newest last, and
// a follower that reads, from the record after them on, those that pass f.
// The caller must Stop it.
func (r *Ring) Follow(f Filter, backlog int) ([]Record, *Follower) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fl := &Follower{ring: r, filter: f, next: r.next, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if r.closed {
		close(fl.done)
	} else {
		r.followers[fl] = struct{}{}
	}
	if backlog <= 0 {
		return nil, fl
	}
	return r.last(f, backlog), fl
}

// Close ends every follower; records added after it are dropped.
func (r *Ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	for f := range r.followers {
		close(f.done)
		delete(r.followers, f)
	}
}
