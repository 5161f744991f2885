package scripts_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/luagate/luagate/scripts"
)

func TestCompileRefusesMoreEndpointsOrModulesThanTheLimitBeforeCompilingAny(t *testing.T) {
	t.Parallel()
	var sol scripts.Solution
	sol.Modules = map[string]string{}
	// Broken scripts: had any been compiled, its problem would show.
	for i := range scripts.MaxEndpoints + 1 {
		sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{Path: fmt.Sprintf("/e%d", i), Script: "x = = 1"})
	}
	for i := range scripts.MaxModules + 1 {
		sol.Modules[fmt.Sprintf("m%d", i)] = "x = = 1"
	}
	_, err := scripts.Compile(sol)
	checkProblems(t, problemsOf(t, err), []wantProblem{
		{message: "10001 endpoints: over the limit of 10000 endpoints in a solution"},
		{message: "10001 modules: over the limit of 10000 modules in a solution"},
	})
}

func TestNamesOverTheLimitAreRefusedWithoutRepeatingThem(t *testing.T) {
	t.Parallel()
	long := "/" + strings.Repeat("a", 500_000)
	_, err := scripts.Compile(scripts.Solution{
		Endpoints:     []*scripts.Endpoint{{Path: long, Script: "return 1"}, {Path: "/" + strings.Repeat("b", scripts.MaxNameBytes-1), Script: "return 1"}},
		Modules:       map[string]string{strings.Repeat("m", scripts.MaxNameBytes+1): "return 1", strings.Repeat("n", scripts.MaxNameBytes): "return 1"},
		EventHandlers: map[string]string{strings.Repeat("h", 100_000): "return 1"},
	})
	ps := problemsOf(t, err)
	checkProblems(t, ps, []wantProblem{
		{file: scripts.Elide(long), message: "longer than 2048 bytes, the limit of an endpoint path"},
		{file: scripts.Elide(strings.Repeat("m", scripts.MaxNameBytes+1)), message: "longer than 2048 bytes, the limit of a module name"},
		{file: scripts.Elide(strings.Repeat("h", 100_000)), message: "unknown event handler"},
	})
	for _, p := range ps {
		if n := len(p.String()); n > 400 {
			t.Errorf("problem of %d bytes repeats its input: %.200s", n, p)
		}
	}
}

func TestElideKeepsShortTextAndCutsLongTextAtACharacter(t *testing.T) {
	t.Parallel()
	if got := scripts.Elide("/chat/{room}"); got != "/chat/{room}" {
		t.Errorf("Elide of a short text = %q", got)
	}
	long := strings.Repeat("é", 1000) // two bytes each
	got := scripts.Elide(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "... (2000 bytes)") || len(got) > 120 {
		t.Errorf("Elide of 2000 bytes = %q", got)
	}
}

func TestCheckSizesNamesEveryScriptOverTheLimitAndTheTotal(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("-", 101)
	sol := scripts.Solution{
		Endpoints:     []*scripts.Endpoint{{Path: "/small", Script: "return 1"}, {Path: "/big", Script: big}},
		Modules:       map[string]string{"m": big, "ok": strings.Repeat("-", 100)},
		EventHandlers: map[string]string{scripts.EventHandlerWebsocketInfo: big},
	}
	checkProblems(t, problemsOf(t, scripts.CheckSizes(sol, 100, 400)), []wantProblem{
		{file: "/big", message: "script of 101 bytes: over the limit of 100 bytes per script"},
		{file: "m", message: "script of 101 bytes"},
		{file: scripts.EventHandlerWebsocketInfo, message: "script of 101 bytes"},
		{message: "411 bytes of scripts: over the limit of 400 bytes in a solution"},
	})
	if err := scripts.CheckSizes(sol, 101, 411); err != nil {
		t.Errorf("CheckSizes at the limits = %v, want nil", err)
	}
}

func TestPutEndpointsAddsReplacesAndKeepsPathOrder(t *testing.T) {
	t.Parallel()
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/b", Script: "b"}, {Path: "/d", Script: "d"}}}
	sol.PutEndpoints(
		scripts.Endpoint{Path: "/c", Script: "c"},
		scripts.Endpoint{Path: "/b", Script: "b2"},
		scripts.Endpoint{Path: "/a", Script: "a"},
		scripts.Endpoint{Path: "/c", Script: "c2"},
	)
	var got []string
	for _, e := range sol.Endpoints {
		got = append(got, e.Path+"="+e.Script)
	}
	if want := "/a=a /b=b2 /c=c2 /d=d"; strings.Join(got, " ") != want {
		t.Errorf("endpoints %q, want %q", got, want)
	}
}

func TestCompiledEndpointIsFoundByPathAmongMany(t *testing.T) {
	t.Parallel()
	var sol scripts.Solution
	for i := range 500 {
		sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{Path: fmt.Sprintf("/e%d/{x}", i), Script: fmt.Sprintf("return %d", i)})
	}
	c, err := scripts.Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 17, 499} {
		e, ok := c.Endpoint(fmt.Sprintf("/e%d/{x}", i))
		if !ok || e.Script != fmt.Sprintf("return %d", i) || e.Pattern.Raw != e.Path {
			t.Errorf("Endpoint(/e%d/{x}) = %+v, %v", i, e, ok)
		}
	}
	if _, ok := c.Endpoint("/e500/{x}"); ok {
		t.Error("found an endpoint that is not declared")
	}
}
