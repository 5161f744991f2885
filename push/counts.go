package push

import "sync/atomic"

// Statuses lists the statuses in the order of Counts.Reached.
var Statuses = [...]Status{Pending, Delivered, Cancelled, Expired}

// Counts is what push did since its Service started, and what waits now.
type Counts struct {
	// Reached counts the messages that reached each status of Statuses,
	// in its order, since the Service started: PENDING ones stored for
	// delivery (a global message's copies included), DELIVERED ones marked
	// so, CANCELLED ones cancelled, EXPIRED ones pushed to nobody who could
	// take them or swept past their deadline. A message counts once per
	// status, when the store committed it.
	Reached [len(Statuses)]uint64
	// Pending is how many messages are PENDING now, as the store counts
	// them (it keeps the count per recipient for the cap).
	Pending int
}

// reached is the Service's Counts.Reached, added to after each commit: a
// push, a delivery batch, a sweep is one atomic addition, never one per
// frame.
type reached [len(Statuses)]atomic.Uint64

func (r *reached) add(st Status, n int) {
	if n <= 0 {
		return
	}
	for i, s := range Statuses {
		if s == st {
			r[i].Add(uint64(n))
			return
		}
	}
}

// Counts reads the statuses reached so far and the PENDING messages in
// the store. It costs one read of the store's per-recipient counts, so it
// is for a scrape, not for a hot path.
func (s *Service) Counts() (Counts, error) {
	var c Counts
	for i := range s.reached {
		c.Reached[i] = s.reached[i].Load()
	}
	n, err := s.cfg.Messages.PendingCount()
	c.Pending = n
	return c, err
}
