package runtime

import (
	"testing"

	"github.com/luagate/luagate/scripts"
)

// TestARevisionSharesOnlyWhatDidNotChange loads a solution, then the same
// with one script changed, then with a module added: the second revision
// keeps the unchanged endpoint's program and policy and builds the
// changed one's, and the third, whose libraries differ, builds every one.
func TestARevisionSharesOnlyWhatDidNotChange(t *testing.T) {
	t.Parallel()
	e := benchEngine(t, "return nil")
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/a", Script: "return 1"}, {Path: "/b", Script: "--#IDLE 60s\nreturn 2"},
	}}
	load := func(sol scripts.Solution) *revision {
		t.Helper()
		c, err := scripts.Recompile(sol, e.Solution())
		if err != nil {
			t.Fatal(err)
		}
		e.Load(c)
		return e.rev.Load()
	}
	first := load(sol)
	sol.Endpoints[1].Script = "--#IDLE 30s\nreturn 3"
	second := load(sol)
	if second.program("/a") != first.program("/a") || second.policies[0] != first.policies[0] {
		t.Error("the unchanged endpoint's program or policy was built again")
	}
	if second.program("/b") == first.program("/b") || second.policies[1] == first.policies[1] {
		t.Error("the changed endpoint kept its old program or policy")
	}
	sol.Modules = map[string]string{"m": "return {}"}
	third := load(sol)
	if third.program("/a") == second.program("/a") || third.policies[0] == second.policies[0] {
		t.Error("a revision with other modules kept a program or policy built with the old ones")
	}
}
