package cluster

import (
	"errors"
	"testing"
	"time"

	"github.com/luagate/luagate/scripts"
)

// A shared revision travels with its endpoints' times beside it, and one
// listing null as an endpoint is refused rather than taken for one.
func TestASharedRevisionDecodesAsEncodedAndRefusesANullEndpoint(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/a", Script: "return 1", UpdatedAt: at}}}
	got, rev, err := decodeRevision(encodeRevision(sol, 7))
	if err != nil || rev != 7 || len(got.Endpoints) != 1 || *got.Endpoints[0] != *sol.Endpoints[0] {
		t.Fatalf("decoded %+v, revision %d, %v", got.Endpoints, rev, err)
	}
	if _, _, err := decodeRevision([]byte(`{"revision":8,"solution":{"endpoints":[null]},"updated":["2026-12-04T03:00:00Z"]}`)); !errors.Is(err, scripts.ErrNullEndpoint) {
		t.Errorf("a null endpoint decoded with %v", err)
	}
}
