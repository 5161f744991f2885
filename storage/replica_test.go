package storage

import (
	"testing"
	"time"

	"github.com/luagate/luagate/scripts"
)

// Stage stamps as Save does: an endpoint whose script is unchanged keeps
// its stored UpdatedAt, a changed or new one gets the time of the Stage,
// whatever order the new solution lists them in.
func TestStageStampsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	then := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	stored := scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Method: "GET", Path: "/a", Script: "return 'get'", UpdatedAt: then},
		{Path: "/a", Script: "return 'ws'", UpdatedAt: then},
		{Path: "/b", Script: "return 1", UpdatedAt: then},
	}}
	if err := s.SaveRevision(stored, 7); err != nil {
		t.Fatal(err)
	}
	staged, rev, err := s.Stage(scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/c", Script: "return 'new'"},
		{Path: "/b", Script: "return 2"},
		{Path: "/a", Script: "return 'ws'"},
		{Method: "GET", Path: "/a", Script: "return 'get'"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rev != 8 {
		t.Errorf("staged revision %d, want 8", rev)
	}
	for _, e := range staged.Endpoints {
		kept := e.UpdatedAt.Equal(then)
		if wantKept := e.Path == "/a"; kept != wantKept || e.UpdatedAt.IsZero() {
			t.Errorf("%s: UpdatedAt %v, want the stored time: %v", e.Key(), e.UpdatedAt, wantKept)
		}
	}
}
