package storage

import (
	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/scripts"
)

// Stage returns sol as Save would store it now and the revision it would
// get, without storing anything: for a change that must be agreed
// elsewhere (a cluster's shared copy) before it is written here with
// SaveRevision. Like Save, it takes sol over.
func (s *Store) Stage(sol scripts.Solution) (scripts.Solution, uint64, error) {
	if s.closed.Load() {
		return scripts.Solution{}, 0, ErrClosed
	}
	sol, err := s.prepare(sol)
	if err != nil {
		return scripts.Solution{}, 0, err
	}
	old, rev, err := s.Load()
	if err != nil {
		return scripts.Solution{}, 0, err
	}
	stamp(old.Endpoints, sol.Endpoints, stampTime()) // Load sorts as prepare does
	return sol, rev + 1, nil
}

// SaveRevision replaces the whole stored solution with sol, UpdatedAt
// fields as they are, and sets the revision to rev, in one transaction:
// for a revision made on another node, or staged here (Stage) and agreed.
// Like Save, it takes sol over: it sorts sol's endpoints in place.
func (s *Store) SaveRevision(sol scripts.Solution, rev uint64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	sol, err := s.prepare(sol)
	if err != nil {
		return err
	}
	// Encoded outside the transaction, where a deploy may pause.
	writes, err := endpointWrites(&savedSolution{}, savedOf(sol))
	if err != nil {
		return s.opError("save solution", err)
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	err = s.db.Update(func(tx *bolt.Tx) error { return write(tx, sol, writes, rev) })
	// Save's record of what it committed no longer holds, whatever the
	// outcome: the next Save reads the stored endpoints again.
	s.saved = nil
	if err != nil {
		return s.opError("save solution", err)
	}
	return nil
}
