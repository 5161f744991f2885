package scripts_test

import (
	"errors"
	"testing"

	"github.com/luagate/luagate/scripts"
)

// A clone shares its endpoints, and what normalizes or changes one of them
// in the clone replaces it there: the solution cloned keeps what it had.
func TestAClonesChangesLeaveTheSolutionItCameFrom(t *testing.T) {
	t.Parallel()
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/b", Script: "return 2"}, {Method: "get", Path: "/a", Script: "return 1"},
	}}
	c := sol.Clone()
	c.PutEndpoints(scripts.Endpoint{Path: "/b", Script: "return 'two'"})
	if sol.Endpoints[0].Script != "return 2" || sol.Endpoints[1].Method != "get" || sol.Endpoints[1].Path != "/a" {
		t.Errorf("the solution cloned became %+v, %+v", *sol.Endpoints[0], *sol.Endpoints[1])
	}
	if a, _ := c.EndpointByKey("GET /a"); a.Script != "return 1" {
		t.Errorf("the clone's GET /a is %+v", a)
	}
	if b, _ := c.Endpoint("/b"); b.Script != "return 'two'" {
		t.Errorf("the clone's /b is %+v", b)
	}
	plain, deep := sol.Clone(), sol.DeepClone()
	for i, e := range deep.Endpoints {
		if e == plain.Endpoints[i] || *e != *plain.Endpoints[i] {
			t.Errorf("a deep clone's %s is shared, or differs: %+v", e.Key(), *e)
		}
	}
}

func TestCheckDecodedNamesANullEndpoint(t *testing.T) {
	t.Parallel()
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/a"}, nil}}
	if err := sol.CheckDecoded(); !errors.Is(err, scripts.ErrNullEndpoint) || err.Error() != "an endpoint is null: endpoints[1]" {
		t.Errorf("CheckDecoded: %v", err)
	}
	if err := (scripts.Solution{Endpoints: sol.Endpoints[:1]}).CheckDecoded(); err != nil {
		t.Errorf("CheckDecoded of a whole list: %v", err)
	}
}
