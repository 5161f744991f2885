package storage

import (
	"reflect"
	"testing"
	"time"

	"github.com/luagate/luagate/scripts"
)

func TestHTTPEndpointsAndTheWebserviceConfigSurviveAReopen(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	sol := scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			{Path: "/items/{id}", Script: "return 'ws'"},
			{Method: "GET", Path: "/items/{id}", Script: "return 'get'"},
			{Method: "POST", Path: "/items/{id}", ContentType: "application/json", Script: "return 'post'"},
		},
		Webservice: scripts.Webservice{CORS: scripts.CORS{Origin: scripts.Origins{"*"}, ExposeHeaders: []string{"X-Total"}}},
	}
	want := sol.Clone() // Save takes sol over and stamps it
	if _, _, err := s.Save(sol); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := mustLoad(t, s)
	for i := range got.Endpoints {
		got.Endpoints[i].UpdatedAt = time.Time{}
	}
	if !reflect.DeepEqual(got.Endpoints, want.Endpoints) || !reflect.DeepEqual(got.Webservice, want.Webservice) {
		t.Fatalf("loaded\n%+v\n%+v\nwant\n%+v\n%+v", got.Endpoints, got.Webservice, want.Endpoints, want.Webservice)
	}
}
