package endpoints

import (
	"testing"

	"github.com/luagate/luagate/scripts"
)

// A deploy compiles the caller's solution without copying it
// (scripts.RecompileOwned), and what runs is the store's copy: a caller
// that goes on changing the solution it deployed changes nothing that
// runs, nor what the next deploy is diffed against.
func TestChangingADeployedSolutionChangesNothingThatRuns(t *testing.T) {
	t.Parallel()
	s, stop := openServer(t, t.TempDir())
	t.Cleanup(stop)
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/a", Script: "return 1"}, {Path: "/b", Script: "return 2"}}}
	if err := s.Deploy(sol); err != nil {
		t.Fatal(err)
	}
	sol.Endpoints[0].Script = "return 'changed'"
	sol.Endpoints[1].Path = "/moved"
	running := s.cfg.Engine.Solution()
	if a, ok := running.Endpoint("/a"); !ok || a.Script != "return 1" || running.Solution.Endpoints[0].Script != "return 1" {
		t.Errorf("the running /a runs %q, its solution holds %q", a.Script, running.Solution.Endpoints[0].Script)
	}
	if _, ok := running.Endpoint("/b"); !ok || running.Solution.Endpoints[1].Path != "/b" {
		t.Error("the running revision lost /b")
	}
	stored, _, err := s.cfg.Store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Endpoints) != 2 || stored.Endpoints[0].Script != "return 1" || stored.Endpoints[1].Path != "/b" {
		t.Errorf("the store holds %+v", stored.Endpoints)
	}
}

// A change of one endpoint shares the others with the running revision,
// rather than copying the list of them, and changes none of the running
// revision's.
func TestAChangeOfOneEndpointSharesTheOthersAndChangesNoneThatRuns(t *testing.T) {
	t.Parallel()
	s, stop := openServer(t, t.TempDir())
	t.Cleanup(stop)
	if err := s.Deploy(scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/a", Script: "return 1"}, {Path: "/b", Script: "return 2"}, {Path: "/c", Script: "return 3"},
	}}); err != nil {
		t.Fatal(err)
	}
	before := s.cfg.Engine.Solution().Solution
	was := *before.Endpoints[1]
	if _, err := s.change(func(sol *scripts.Solution) error {
		sol.PutEndpoints(scripts.Endpoint{Path: "/b", Script: "return 'two'"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after := s.cfg.Engine.Solution().Solution
	if after.Endpoints[0] != before.Endpoints[0] || after.Endpoints[2] != before.Endpoints[2] {
		t.Error("an unchanged endpoint was copied")
	}
	if after.Endpoints[1].Script != "return 'two'" {
		t.Errorf("the new revision's /b is %+v", *after.Endpoints[1])
	}
	if *before.Endpoints[1] != was {
		t.Errorf("the running revision's /b became %+v, was %+v", *before.Endpoints[1], was)
	}
	stored, _, err := s.cfg.Store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := stored.Endpoint("/b"); e.Script != "return 'two'" {
		t.Errorf("the store holds /b as %q", e.Script)
	}
}
