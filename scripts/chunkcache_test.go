package scripts

import (
	"strings"
	"testing"
	"time"
)

func TestRecompileReusesOnlyUnchangedChunks(t *testing.T) {
	t.Parallel()
	sol := Solution{
		Endpoints: []*Endpoint{{Path: "/a", Script: "return 1"}, {Path: "/b", Script: "return 2"}},
		Modules:   map[string]string{"m": "return {}"},
	}
	prev, next := recompiledWithSecondChanged(t, sol)
	a, _ := next.Endpoint("/a")
	b, _ := next.Endpoint("/b")
	prevA, _ := prev.Endpoint("/a")
	prevB, _ := prev.Endpoint("/b")
	if a.Proto != prevA.Proto || next.Modules["m"] != prev.Modules["m"] {
		t.Error("an unchanged endpoint or module was compiled again")
	}
	if b.Proto == prevB.Proto {
		t.Error("a changed endpoint kept its old chunk")
	}
	// The chunk name is part of what was compiled: it names the file in
	// errors and tracebacks.
	sol.Sources = map[string]Source{SourceKey("endpoint", "/a"): {File: "routes/a.lua", Line: 3}}
	moved, err := Recompile(sol, next)
	if err != nil {
		t.Fatal(err)
	}
	if ma, _ := moved.Endpoint("/a"); ma.Proto == a.Proto {
		t.Error("an endpoint whose file moved kept the chunk named after its old place")
	}
	// A chunk that failed is not kept: the next revision compiles it and
	// reports it again.
	sol.Endpoints[1].Script = "return ("
	if _, err := Recompile(sol, moved); err == nil {
		t.Fatal("a syntax error went unreported")
	}
	if _, err := Recompile(sol, moved); err == nil {
		t.Fatal("a syntax error went unreported the second time")
	}
}

// What an unchanged endpoint's policy depends on beyond its script (the
// solution's defaults, its modules) makes the next revision derive it
// again; taken or derived, it comes with the same problems and warnings.
func TestRecompileDerivesPoliciesAgainWhenTheSolutionsPartsChange(t *testing.T) {
	t.Parallel()
	sol := Solution{
		Endpoints: []*Endpoint{
			{Path: "/a", Script: "return 1"},
			{Path: "/r", Script: "--#ROUTESELECT $.op\n--#ROUTE say m.say\nreturn 1"},
		},
		Modules: map[string]string{"m": "local M = {}\nfunction M.say() end\nreturn M"},
		Config:  Config{Defaults: Defaults{RateLimit: "10/1s"}},
	}
	prev, err := Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	sol.Config.Defaults.RateLimit = "20/1s"
	next, err := Recompile(sol, prev)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := next.Endpoint("/a"); a.Policy.RateLimit == nil || a.Policy.RateLimit.Requests != 20 {
		t.Errorf("after the default changed, /a's rate limit is %+v, want 20 a second", a.Policy.RateLimit)
	}
	sol.Modules = map[string]string{"n": "return {}"}
	_, err = Recompile(sol, next)
	if err == nil || !strings.Contains(err.Error(), "no module m") {
		t.Errorf("after module m went, /r compiled with %v, want its --#ROUTE refused", err)
	}
}

// A revision shares the endpoints that did not change with the one it was
// compiled after, and stamping one of them copies it rather than change
// what the running revision holds.
func TestRecompileSharesUnchangedEndpointsAndStampCopiesThem(t *testing.T) {
	t.Parallel()
	sol := Solution{Endpoints: []*Endpoint{{Path: "/a", Script: "return 1"}, {Path: "/b", Script: "return 2"}}}
	prev, next := recompiledWithSecondChanged(t, sol)
	prevA, _ := prev.Endpoint("/a")
	if a, _ := next.Endpoint("/a"); a != prevA {
		t.Error("an unchanged endpoint was copied")
	}
	if b, _ := next.Endpoint("/b"); b.Script != "return 3" {
		t.Errorf("/b runs %q", b.Script)
	}
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	next.Solution.Endpoints[0].UpdatedAt = stamp
	next.Stamp()
	if a, _ := next.Endpoint("/a"); !a.UpdatedAt.Equal(stamp) || a == prevA {
		t.Errorf("the stamped /a is %v (shared: %v)", a.UpdatedAt, a == prevA)
	}
	if !prevA.UpdatedAt.IsZero() {
		t.Errorf("stamping the new revision changed the running one's /a to %v", prevA.UpdatedAt)
	}
}

// recompiledWithSecondChanged compiles sol, then recompiles it with its
// second endpoint's script changed.
func recompiledWithSecondChanged(t *testing.T, sol Solution) (prev, next *Compiled) {
	t.Helper()
	prev, err := Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	sol.Endpoints[1].Script = "return 3"
	next, err = Recompile(sol, prev)
	if err != nil {
		t.Fatal(err)
	}
	return prev, next
}
