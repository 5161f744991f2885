package endpoints

import (
	"fmt"

	"github.com/luagate/luagate/scripts"
)

// SolutionSaver stores each change to the solution and answers it as
// stored, with its revision. storage.Store is one; a cluster's agrees the
// change with the other nodes first, and answers
// scripts.ErrRevisionConflict (409) when another node's change came
// first. Save takes sol over, as storage.Store.Save does: the caller
// must not change sol's slices and maps afterwards.
type SolutionSaver interface {
	Save(sol scripts.Solution) (scripts.Solution, uint64, error)
}

// Replace makes sol, revision rev as another node stored it, the running
// solution here: it is compiled, written to the local store as it is and
// activated, in turn with local changes. A revision the local store has
// already is left alone. A solution that does not compile here changes
// nothing and is the error.
func (s *Server) Replace(sol scripts.Solution, rev uint64) error {
	defer s.deploying()()
	_, cur, err := s.cfg.Store.Load()
	if err != nil {
		return err
	}
	if cur == rev {
		return nil
	}
	compiled, err := s.compile(sol, false)
	if err == nil {
		err = s.checkSecurity(compiled)
	}
	if err != nil {
		return fmt.Errorf("revision %d: %w", rev, err)
	}
	if err := s.cfg.Store.SaveRevision(compiled.Solution, rev); err != nil {
		return err
	}
	s.activate(compiled)
	s.cfg.Logger.Info("solution replicated", "revision", rev, "endpoints", len(sol.Endpoints))
	return nil
}
