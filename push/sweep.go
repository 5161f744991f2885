package push

import "time"

// sweepBatch bounds the records one sweep transaction changes, so that a
// backlog does not hold the database's write lock for long.
const sweepBatch = 1000

// sweep marks expired messages and forgets old records every
// Config.SweepInterval until Close.
func (s *Service) sweep() {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.SweepNow()
		}
	}
}

// SweepNow runs one sweep to the end of what is due.
func (s *Service) SweepNow() {
	for {
		now := time.Now()
		expired, forgotten, err := s.cfg.Messages.Sweep(now, now.Add(-s.cfg.Retention), sweepBatch)
		if err != nil {
			s.cfg.Logger.Error("push: sweep failed", "error", err)
			return
		}
		s.reached.add(Expired, expired)
		if expired < sweepBatch && forgotten < sweepBatch {
			return
		}
	}
}
