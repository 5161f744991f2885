package storage

import (
	"reflect"
	"testing"

	"github.com/luagate/luagate/scripts"
)

func TestTheConfigIsStoredWithTheSolutionAndGoesWithIt(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	cfg := scripts.Config{
		Policies: map[string]scripts.RatePolicy{"standard": {Requests: 100, Window: "1min", Burst: 20, ErrorCode: 4429, Message: "slow down", Then: "drop"}},
		Defaults: scripts.Defaults{RateLimit: "standard", IdleTimeout: "90s", MaxConnectionAge: "2h"},
	}
	if _, _, err := s.Save(scripts.Solution{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	sol, _, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sol.Config, cfg) {
		t.Fatalf("loaded config %+v, want %+v", sol.Config, cfg)
	}
	if _, _, err := s.Save(scripts.Solution{}); err != nil {
		t.Fatal(err)
	}
	if sol, _, _ = s.Load(); !sol.Config.Empty() {
		t.Fatalf("a solution without config left %+v", sol.Config)
	}
}
