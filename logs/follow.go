package logs

import "context"

// maxBatch bounds the records one Next returns, so that a follower far
// behind sends them on in pieces.
const maxBatch = 256

// Follower reads a ring's new records in order. It is owned by one
// goroutine.
type Follower struct {
	ring   *Ring
	filter Filter
	// next is the sequence number of the next record to read.
	next uint64
	wake chan struct{}
	done chan struct{} // closed by Ring.Close or Stop
}

// Next waits until there are records the follower has not read, or ctx
// ends, and returns those that pass its filter (at most maxBatch), with
// how many records were replaced in the ring before it could read them.
// Both may be zero when the records that came did not pass the filter.
func (f *Follower) Next(ctx context.Context) (recs []Record, dropped uint64, err error) {
	for {
		recs, dropped, any := f.read()
		if any {
			return recs, dropped, nil
		}
		select {
		case <-f.wake:
		case <-f.done:
			return nil, 0, ErrClosed
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

// read takes what the follower has not read yet, and reports whether there
// was anything.
func (f *Follower) read() (recs []Record, dropped uint64, any bool) {
	r := f.ring
	r.mu.Lock()
	defer r.mu.Unlock()
	if oldest := r.oldest(); f.next < oldest {
		dropped, f.next = oldest-f.next, oldest
	}
	end := min(r.next, f.next+maxBatch)
	any = dropped > 0 || end > f.next
	for ; f.next < end; f.next++ {
		if rec := &r.records[f.next%uint64(len(r.records))]; f.filter.Match(rec) {
			recs = append(recs, *rec)
		}
	}
	return recs, dropped, any
}

// Stop releases the follower; Next then returns ErrClosed.
func (f *Follower) Stop() {
	r := f.ring
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.followers[f]; ok {
		delete(r.followers, f)
		close(f.done)
	}
}
