package scripts

import "testing"

func TestRecompileReusesOnlyUnchangedChunks(t *testing.T) {
	t.Parallel()
	sol := Solution{
		Endpoints: []Endpoint{{Path: "/a", Script: "return 1"}, {Path: "/b", Script: "return 2"}},
		Modules:   map[string]string{"m": "return {}"},
	}
	prev, err := Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	sol.Endpoints[1].Script = "return 3"
	next, err := Recompile(sol, prev)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := next.Endpoint("/a")
	b, _ := next.Endpoint("/b")
	prevA, _ := prev.Endpoint("/a")
	prevB, _ := prev.Endpoint("/b")
	if a.Proto != prevA.Proto || next.Modules["m"] != prev.Modules["m"] {
		t.Error("an unchanged endpoint or module was compiled again")
	}
	if b.Proto == prevB.Proto {
		t.Error("a changed endpoint kept its old chunk")
	}
	// The chunk name is part of what was compiled: it names the file in
	// errors and tracebacks.
	sol.Sources = map[string]Source{SourceKey("endpoint", "/a"): {File: "routes/a.lua", Line: 3}}
	moved, err := Recompile(sol, next)
	if err != nil {
		t.Fatal(err)
	}
	if ma, _ := moved.Endpoint("/a"); ma.Proto == a.Proto {
		t.Error("an endpoint whose file moved kept the chunk named after its old place")
	}
	// A chunk that failed is not kept: the next revision compiles it and
	// reports it again.
	sol.Endpoints[1].Script = "return ("
	if _, err := Recompile(sol, moved); err == nil {
		t.Fatal("a syntax error went unreported")
	}
	if _, err := Recompile(sol, moved); err == nil {
		t.Fatal("a syntax error went unreported the second time")
	}
}
