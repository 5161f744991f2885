package endpoints

import (
	"maps"
	"slices"
	"time"

	"github.com/luagate/luagate/scripts"
)

// endpointSummary lists an endpoint without its script.
type endpointSummary struct {
	Path      string    `json:"path"`
	SHA256    string    `json:"sha256"`
	UpdatedAt time.Time `json:"updated_at"`
}

// deployResult is what every change to the solution answers.
type deployResult struct {
	Revision      uint64            `json:"revision"`
	Endpoints     []endpointSummary `json:"endpoints"`
	Modules       []string          `json:"modules"`
	EventHandlers []string          `json:"eventhandlers"`
}

func summarize(eps []scripts.Endpoint) []endpointSummary {
	out := make([]endpointSummary, len(eps))
	for i, e := range eps {
		out[i] = endpointSummary{Path: e.Path, SHA256: e.SHA256(), UpdatedAt: e.UpdatedAt}
	}
	return out
}

// names lists a map's keys sorted, and as [] rather than null when empty.
func names(m map[string]string) []string {
	return append([]string{}, slices.Sorted(maps.Keys(m))...)
}

// current returns a copy of the running solution to derive a change from.
func (s *Server) current() scripts.Solution {
	return s.cfg.Engine.Solution().Solution.Clone()
}

// change applies edit to a copy of the running solution, then compiles,
// stores and activates the result. Any error before the store leaves
// everything as it was; edit may return an error to refuse the change.
func (s *Server) change(edit func(*scripts.Solution) error) (deployResult, error) {
	s.deployMu.Lock()
	defer s.deployMu.Unlock()
	sol := s.current()
	if err := edit(&sol); err != nil {
		return deployResult{}, err
	}
	// Sizes first: compiling a script costs time in proportion to it.
	if err := scripts.CheckSizes(sol, s.cfg.MaxScriptBytes, maxSolutionScripts*s.cfg.MaxScriptBytes); err != nil {
		return deployResult{}, err
	}
	compiled, err := s.compile(sol)
	if err != nil {
		return deployResult{}, err
	}
	if err := s.checkSecurity(compiled); err != nil {
		return deployResult{}, err
	}
	stored, rev, err := s.cfg.Solutions.Save(compiled.Solution)
	if err != nil {
		return deployResult{}, err
	}
	// The store stamps each endpoint's UpdatedAt; the running revision
	// reports it.
	compiled.Solution = stored
	updated := make(map[string]time.Time, len(stored.Endpoints))
	for _, e := range stored.Endpoints {
		updated[e.Path] = e.UpdatedAt
	}
	for i := range compiled.Endpoints {
		compiled.Endpoints[i].UpdatedAt = updated[compiled.Endpoints[i].Path]
	}
	s.activate(compiled)
	s.cfg.Logger.Info("solution deployed", "revision", rev, "endpoints", len(stored.Endpoints),
		"modules", len(stored.Modules), "eventhandlers", len(stored.EventHandlers))
	return deployResult{
		Revision:      rev,
		Endpoints:     summarize(stored.Endpoints),
		Modules:       names(stored.Modules),
		EventHandlers: names(stored.EventHandlers),
	}, nil
}
