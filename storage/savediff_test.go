package storage

import (
	"slices"
	"testing"

	"github.com/luagate/luagate/scripts"
)

// pairs matches endpoints by path and method, yields once what either
// side has that the other lacks, and stops when the loop does.
func TestPairsMatchesEndpointsByKey(t *testing.T) {
	t.Parallel()
	ep := func(method, path string) *scripts.Endpoint { return &scripts.Endpoint{Method: method, Path: path} }
	prev := []*scripts.Endpoint{ep("", "/a"), ep("", "/b"), ep("GET", "/b"), ep("", "/d")}
	next := []*scripts.Endpoint{ep("GET", "/b"), ep("", "/c"), ep("", "/d"), ep("", "/e")}
	key := func(eps []*scripts.Endpoint, i int) string {
		if i < 0 {
			return "-"
		}
		return eps[i].Key()
	}
	walk := func(prev, next []*scripts.Endpoint, stopAfter int) []string {
		var got []string
		for i, j := range pairs(prev, next) {
			got = append(got, key(prev, i)+" "+key(next, j))
			if len(got) == stopAfter {
				break
			}
		}
		return got
	}
	cases := []struct {
		name       string
		prev, next []*scripts.Endpoint
		stopAfter  int
		want       []string
	}{
		{"both", prev, next, 0, []string{"/a -", "/b -", "GET /b GET /b", "- /c", "/d /d", "- /e"}},
		{"nothing before", nil, next, 0, []string{"- GET /b", "- /c", "- /d", "- /e"}},
		{"nothing after", prev, nil, 0, []string{"/a -", "/b -", "GET /b -", "/d -"}},
		{"stopped", prev, next, 2, []string{"/a -", "/b -"}},
	}
	for _, c := range cases {
		if got := walk(c.prev, c.next, c.stopAfter); !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	// The indices are the slices' own, so that stamping through them
	// stamps next.
	var matched [][2]int
	for i, j := range pairs(prev, next) {
		if i >= 0 && j >= 0 {
			matched = append(matched, [2]int{i, j})
		}
	}
	if want := [][2]int{{2, 0}, {3, 2}}; !slices.Equal(matched, want) {
		t.Errorf("matched %v, want %v", matched, want)
	}
}
