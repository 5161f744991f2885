package scripts

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"
)

// TestOneRouterRefusesAndRoutesAsFreshRoutersDo checks the shortcut that
// makes Compile linear: one router takes every pattern in turn and survives
// each refusal. It must refuse exactly the patterns a fresh router holding
// the patterns accepted before would refuse, and afterwards route every
// request as a fresh router holding only the accepted patterns.
func TestOneRouterRefusesAndRoutesAsFreshRoutersDo(t *testing.T) {
	t.Parallel()
	segments := []string{"a", "b", "ab", "{x}", "{y}", ""}
	rng := rand.New(rand.NewPCG(11, 5))
	path := func(values []string) string {
		parts := make([]string, 1+rng.IntN(3))
		for i := range parts {
			parts[i] = values[rng.IntN(len(values))]
		}
		return "/" + strings.Join(parts, "/")
	}
	for range 3000 {
		var table routeTable
		var accepted []Pattern
		var tried []string
		for range 6 {
			p, err := ParsePattern(path(segments))
			if err != nil {
				continue
			}
			tried = append(tried, p.Raw)
			fresh := checkRoutes(append(slices.Clone(accepted), p))
			if one := table.add("GET", p); (one == nil) != (fresh == nil) {
				t.Fatalf("after %q: one router says %v, a fresh one %v", tried, one, fresh)
			}
			if fresh == nil {
				accepted = append(accepted, p)
			}
		}
		reference := httprouter.New()
		for _, p := range accepted {
			reference.GET(p.Router, noopHandle)
		}
		for range 10 {
			req := path([]string{"a", "b", "ab", "v", ""})
			h1, ps1, _ := table.r.Lookup(http.MethodGet, req)
			h2, ps2, _ := reference.Lookup(http.MethodGet, req)
			if (h1 == nil) != (h2 == nil) || !slices.Equal(ps1, ps2) {
				t.Fatalf("patterns %q (accepted %d): %s routes to %v %v, a fresh router to %v %v", tried, len(accepted), req, h1 != nil, ps1, h2 != nil, ps2)
			}
		}
	}
}
