package endpoints

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// endpointSummary lists an endpoint without its script.
type endpointSummary struct {
	// Method is WEBSOCKET or the HTTP endpoint's method.
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	ContentType string    `json:"content_type,omitempty"`
	SHA256      string    `json:"sha256"`
	UpdatedAt   time.Time `json:"updated_at"`
	// The endpoint's documentation lines (--#TAGS, ...), as written.
	scripts.EndpointDoc
}

func summaryOf(e *scripts.CompiledEndpoint) endpointSummary {
	return endpointSummary{Method: e.MethodName(), Path: e.Path, ContentType: e.ContentType, SHA256: e.Sum, UpdatedAt: e.UpdatedAt,
		EndpointDoc: e.Doc}
}

// deployResult is what every change to the solution answers.
type deployResult struct {
	Revision      uint64       `json:"revision"`
	Endpoints     endpointList `json:"endpoints"`
	Modules       []string     `json:"modules"`
	EventHandlers []string     `json:"eventhandlers"`
	// Init says how the init script went when this change ran it.
	Init *wire.InitResult `json:"init,omitempty"`
	// Warnings are what the solution asks for that luagate leaves out
	// (a --#SECURITY scheme it does not provide), as endpoint:line: text.
	Warnings []string `json:"warnings,omitempty"`
}

// summarize lists c's endpoints in the solution's order, from what the
// compile derived of each.
func summarize(c *scripts.Compiled) []endpointSummary {
	out := make([]endpointSummary, 0, len(c.Solution.Endpoints))
	var y yield.Paced
	for _, e := range c.Solution.Endpoints {
		y.Step()
		if ce, ok := c.EndpointByKey(e.Key()); ok {
			out = append(out, summaryOf(ce))
		}
	}
	return out
}

// endpointList is a deploy's answer's endpoints: its revision's, listed
// as summarize lists them when the answer is written, rather than copied
// into every deploy's answer (a change of one endpoint of a thousand
// answers a thousand).
type endpointList struct {
	c *scripts.Compiled // nil for none
}

// Len is the number of endpoints listed.
func (l endpointList) Len() int {
	if l.c == nil {
		return 0
	}
	return len(l.c.Endpoints) + len(l.c.HTTP)
}

// MarshalJSON writes the list as summarize's; the answer's encoder
// escapes what it escapes.
func (l endpointList) MarshalJSON() ([]byte, error) {
	if l.c == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(summarize(l.c)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// names lists a map's keys sorted, and as [] rather than null when empty.
func names(m map[string]string) []string {
	return append([]string{}, slices.Sorted(maps.Keys(m))...)
}

// current returns a copy of the running solution to derive a change from.
// It has no Sources: they describe the project files of the deploy that
// brought them, which a later change to one script would make wrong.
func (s *Server) current() scripts.Solution {
	sol := s.cfg.Engine.Solution().Solution.Clone()
	sol.Sources = nil
	return sol
}

// deploying begins a change to the solution, which runs one at a time
// and, while the sockets are served, takes turns with them (yield.PaceBy);
// the function it returns ends it.
func (s *Server) deploying() (end func()) {
	s.deployMu.Lock()
	stop := yield.PaceBy(s.cfg.Engine.Served)
	return func() {
		stop()
		s.deployMu.Unlock()
	}
}

// change applies edit to a copy of the running solution, then compiles,
// stores and activates the result. Any error before the store leaves
// everything as it was; edit may return an error to refuse the change.
func (s *Server) change(edit func(*scripts.Solution) error) (res deployResult, err error) {
	defer s.deploying()()
	defer func() { s.cfg.Metrics.Deploys.Deployed(res.Revision, err) }()
	sol := s.current()
	prevInit := sol.Init
	if err := edit(&sol); err != nil {
		return deployResult{}, err
	}
	defer s.recordDeploy(time.Now(), &res, &err)
	// Sizes first: compiling a script costs time in proportion to it.
	if err := scripts.CheckSizes(sol, s.cfg.MaxScriptBytes, maxSolutionScripts*s.cfg.MaxScriptBytes); err != nil {
		return deployResult{}, err
	}
	compiled, err := s.compile(sol, true) // sol is current()'s copy
	if err != nil {
		return deployResult{}, err
	}
	if err := s.checkSecurity(compiled); err != nil {
		return deployResult{}, err
	}
	stored, rev, err := s.cfg.Solutions.Save(compiled.Solution) // current()'s copy still, which Save takes over
	if err != nil {
		return deployResult{}, err
	}
	// The store stamps each endpoint's UpdatedAt; the running revision
	// reports it.
	compiled.Solution = stored
	compiled.Stamp()
	s.activate(compiled)
	s.cfg.Logger.Info("solution deployed", "revision", rev, "endpoints", len(stored.Endpoints),
		"modules", len(stored.Modules), "eventhandlers", len(stored.EventHandlers))
	res = deployResult{
		Revision:      rev,
		Endpoints:     endpointList{compiled},
		Modules:       names(stored.Modules),
		EventHandlers: names(stored.EventHandlers),
	}
	for _, w := range compiled.Warnings {
		res.Warnings = append(res.Warnings, w.Error())
	}
	if stored.Init != "" && stored.Init != prevInit {
		res.Init = &wire.InitResult{OK: true}
		if err := s.cfg.Engine.RunInit(compiled); err != nil {
			res.Init = &wire.InitResult{Error: err.Error()}
			s.cfg.Logger.Error("init script failed; the deploy stays", "revision", rev, "error", err)
		}
	}
	return res, nil
}
