package scripts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/scripts"
)

// wantProblem is a problem a test expects: its file and line exactly, and a
// part of its message.
type wantProblem struct {
	file, message string
	line          int
}

// problemsOf returns err as Problems, failing the test if it is not.
func problemsOf(t *testing.T, err error) scripts.Problems {
	t.Helper()
	if err == nil {
		t.Fatal("Compile succeeded, want problems")
	}
	var ps scripts.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %T %v is not scripts.Problems", err, err)
	}
	return ps
}

// checkProblems fails unless got is exactly want, in order.
func checkProblems(t *testing.T, got scripts.Problems, want []wantProblem) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("missing problem %d: %+v", i, want[i])
		case i >= len(want):
			t.Errorf("unexpected problem %d: %+v", i, got[i])
		case got[i].File != want[i].file || got[i].Line != want[i].line || !strings.Contains(got[i].Message, want[i].message):
			t.Errorf("problem %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCompileReportsEveryProblemAtOnce(t *testing.T) {
	sol := scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			{Path: "/ok", Script: "--#ENDPOINT WEBSOCKET /ok\nwebsocket.send(1)\n"},
			{Path: "/syntax", Script: "--#ENDPOINT WEBSOCKET /syntax\nlocal x = = 1\n"},
			{Path: "/missing-end", Script: "--#ENDPOINT WEBSOCKET /missing-end\nfunction f()\n  return 1\n"},
			{Path: "api/x", Script: "x()\n"},
			{Path: "/a/{x}", Script: "x()\n"},
			{Path: "/a/b", Script: "x()\n"},
			{Path: "/c/{x}", Script: "x()\n"},
			{Path: "/c/{y}", Script: "x()\n"},
			{Path: "/ok", Script: "x()\n"},
		},
		Modules: map[string]string{
			"../x":     "return {}\n",
			"a/b":      "return {}\n",
			"":         "return {}\n",
			"x\x00":    "return {}\n",
			"src.bad":  "return {\n",
			"src.good": "return {}\n",
		},
		EventHandlers: map[string]string{
			scripts.EventHandlerWebsocketInfo: "function handle_websocket_websocket_info(e) end end\n",
			"on_message":                      "x()\n",
		},
	}
	_, err := scripts.Compile(sol)
	// Endpoints come sorted by path, then route conflicts, then modules and
	// event handlers sorted by name.
	checkProblems(t, problemsOf(t, err), []wantProblem{
		{file: "/missing-end", line: 4, message: "at end of script"},
		{file: "/ok", message: "endpoint declared twice"},
		{file: "/syntax", line: 2, message: "syntax error near '='"},
		{file: "api/x", message: "must start with /"},
		{message: `"/a/{x}": conflicts with another endpoint`},
		{message: `"/c/{y}": conflicts with another endpoint`},
		{file: "", message: `invalid module name ""`},
		{file: "../x", message: `invalid module name "../x"`},
		{file: "a/b", message: `invalid module name "a/b"`},
		{file: "src.bad", line: 2, message: "at end of script"},
		{file: "x\x00", message: `invalid module name "x\x00"`},
		{file: "on_message", message: `unknown event handler: the only one is "websocket_info"`},
		{file: scripts.EventHandlerWebsocketInfo, line: 1, message: "near 'end'"},
	})
}

func TestCompileReportsSyntaxErrorsAtTheirLine(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		line    int
		message string
	}{
		{name: "first line", script: "local = 1\n", line: 1, message: "syntax error near '='"},
		{name: "first line without newline", script: "x = )", line: 1, message: "near ')'"},
		{name: "third line", script: "-- a\nlocal a = 1\nlocal b = = 2\nlocal c = 3\n", line: 3, message: "near '='"},
		{name: "statement after return", script: "return 1\nx = 1\n", line: 2, message: "near 'x'"},
		{name: "bad number", script: "\n\nx = 0x\n", line: 3, message: "illegal hexadecimal number"},
		// Input that ends too early is reported where it ends, after the
		// last newline, as Lua itself does.
		{name: "missing end", script: "function f()\n  return 1\n", line: 3, message: "at end of script"},
		{name: "missing end without final newline", script: "function f()\n  return 1", line: 2, message: "at end of script"},
		{name: "missing end before blank lines", script: "if x then\n\n\n", line: 4, message: "at end of script"},
		{name: "unfinished expression", script: "local x = 1 +", line: 1, message: "at end of script"},
		{name: "unterminated long string", script: "x = [[abc\ny()\n", line: 3, message: "unterminated multiline string at end of script"},
		{name: "unterminated block comment", script: "--[[ note\n", line: 2, message: "at end of script"},
		{name: "CRLF lines", script: "local a = 1\r\nlocal b = = 2\r\n", line: 2, message: "near '='"},
		{name: "break outside a loop", script: "local a = 1\nbreak\n", line: 2, message: "no loop to break"},
	}
	kinds := []struct {
		kind string
		sol  func(src string) (scripts.Solution, string)
	}{
		{"endpoint", func(src string) (scripts.Solution, string) {
			return scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/x", Script: src}}}, "/x"
		}},
		{"module", func(src string) (scripts.Solution, string) {
			return scripts.Solution{Modules: map[string]string{"src.x": src}}, "src.x"
		}},
		{"event handler", func(src string) (scripts.Solution, string) {
			return scripts.Solution{EventHandlers: map[string]string{scripts.EventHandlerWebsocketInfo: src}}, scripts.EventHandlerWebsocketInfo
		}},
	}
	for _, k := range kinds {
		for _, tt := range tests {
			t.Run(k.kind+"/"+tt.name, func(t *testing.T) {
				sol, file := k.sol(tt.script)
				_, err := scripts.Compile(sol)
				checkProblems(t, problemsOf(t, err), []wantProblem{{file: file, line: tt.line, message: tt.message}})
			})
		}
	}
}

func TestCompileCountsEndpointLinesFromTheirHeader(t *testing.T) {
	eps, err := scripts.ParseEndpoints("chat.lua",
		"-- chat.lua\n"+
			"--#ENDPOINT WEBSOCKET /a\n"+
			"x()\n"+
			"--#ENDPOINT WEBSOCKET /b\n"+
			"y()\n"+
			"local z = = 1\n")
	if err != nil {
		t.Fatal(err)
	}
	var sol scripts.Solution
	sol.PutEndpoints(eps...)
	_, err = scripts.Compile(sol)
	// Line 6 of the file is line 3 of /b, counting its header as line 1.
	checkProblems(t, problemsOf(t, err), []wantProblem{{file: "/b", line: 3, message: "near '='"}})
}

func TestCompileRejectsInvalidModuleNames(t *testing.T) {
	for _, name := range []string{
		"", "../x", "a/b", `a\b`, "x\x00", ".x", "x.", "a..b", "a b", "a\n", "/abs", "-x", "a.-b", "é",
	} {
		t.Run(name, func(t *testing.T) {
			if err := scripts.CheckModuleName(name); err == nil {
				t.Errorf("CheckModuleName(%q) = nil, want an error", name)
			}
			_, err := scripts.Compile(scripts.Solution{Modules: map[string]string{name: "return {}\n"}})
			checkProblems(t, problemsOf(t, err), []wantProblem{{file: name, message: "invalid module name"}})
		})
	}
}

func TestCheckModuleNameAcceptsDottedIdentifiers(t *testing.T) {
	for _, name := range []string{"utils", "src.utils", "a-b.c_d", "_x", "x1.y2.z3", "1x", "A.B"} {
		if err := scripts.CheckModuleName(name); err != nil {
			t.Errorf("CheckModuleName(%q) = %v, want nil", name, err)
		}
	}
}

func TestCompileRejectsUnknownEventHandlerNames(t *testing.T) {
	for _, name := range []string{"", "on_message", "WEBSOCKET_INFO", "websocket_info.lua", "websocket_info "} {
		_, err := scripts.Compile(scripts.Solution{EventHandlers: map[string]string{name: "x()\n"}})
		checkProblems(t, problemsOf(t, err), []wantProblem{{file: name, message: "unknown event handler"}})
	}
}

// validSolution is a solution with every kind of script, all correct.
func validSolution() scripts.Solution {
	return scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			{Path: "/chat/{room}", Script: "--#ENDPOINT WEBSOCKET /chat/{room}\nreturn websocketInfo, response\n"},
			{Path: "/echo", Script: "--#ENDPOINT WEBSOCKET /echo\nlocal utils = require('src.utils')\n"},
			{Path: "/", Script: "-- root\n"},
		},
		Modules: map[string]string{
			"src.utils": "local M = {}\nfunction M.id(x) return x end\nreturn M\n",
			"json-ish":  "return {}\n",
		},
		EventHandlers: map[string]string{
			scripts.EventHandlerWebsocketInfo: "function " + scripts.HandlerFunction + "(event) end\n",
		},
	}
}

func TestCompileAcceptsAValidSolutionAndFindsItsEndpoints(t *testing.T) {
	c, err := scripts.Compile(validSolution())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var paths []string
	for _, e := range c.Endpoints {
		paths = append(paths, e.Path)
		if e.Proto == nil {
			t.Errorf("endpoint %q has no proto", e.Path)
		}
	}
	if want := []string{"/", "/chat/{room}", "/echo"}; !slices.Equal(paths, want) {
		t.Errorf("endpoints = %q, want %q (sorted)", paths, want)
	}
	e, ok := c.Endpoint("/chat/{room}")
	if !ok {
		t.Fatal(`Endpoint("/chat/{room}") not found`)
	}
	if e.Pattern.Router != "/chat/:room" || !slices.Equal(e.Pattern.Params, []string{"room"}) {
		t.Errorf("pattern = %+v, want router /chat/:room with param room", e.Pattern)
	}
	if !strings.Contains(e.Script, "return websocketInfo, response") {
		t.Errorf("script = %q, want the declared one", e.Script)
	}
	for _, missing := range []string{"/chat/lobby", "/chat/:room", "/ech", ""} {
		if _, ok := c.Endpoint(missing); ok {
			t.Errorf("Endpoint(%q) found, want not found", missing)
		}
	}
	for _, name := range []string{"src.utils", "json-ish"} {
		if c.Modules[name] == nil {
			t.Errorf("module %q not compiled", name)
		}
	}
	if len(c.Modules) != 2 {
		t.Errorf("modules = %d, want 2", len(c.Modules))
	}
	if c.Handler == nil {
		t.Error("event handler not compiled")
	}
}

func TestCompileWithoutEventHandlerLeavesHandlerNil(t *testing.T) {
	c, err := scripts.Compile(scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/echo", Script: "x()\n"}}})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if c.Handler != nil {
		t.Error("Handler is set without an event handler")
	}
	if c.Modules == nil {
		t.Error("Modules is nil, want an empty map")
	}
}

func TestCompileLeavesTheCallersSolutionAlone(t *testing.T) {
	sol := validSolution()
	c, err := scripts.Compile(sol)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if sol.Endpoints[0].Path != "/chat/{room}" || sol.Endpoints[2].Path != "/" {
		t.Errorf("caller's endpoints were reordered: first %q, third %q", sol.Endpoints[0].Path, sol.Endpoints[2].Path)
	}
	sol.Endpoints[0].Script = "changed"
	sol.Modules["src.utils"] = "changed"
	if e, _ := c.Solution.Endpoint("/chat/{room}"); e.Script == "changed" {
		t.Error("compiled solution shares endpoints with the caller's")
	}
	if c.Solution.Modules["src.utils"] == "changed" {
		t.Error("compiled solution shares modules with the caller's")
	}
}

func TestCompiledEndpointReceivesWebsocketInfoAndResponse(t *testing.T) {
	c, err := scripts.Compile(validSolution())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	e, _ := c.Endpoint("/chat/{room}")
	L := lua.NewState()
	defer L.Close()
	L.Push(L.NewFunctionFromProto(e.Proto))
	L.Push(lua.LString("info"))
	L.Push(lua.LString("resp"))
	if err := L.PCall(2, 2, nil); err != nil {
		t.Fatalf("running the endpoint: %v", err)
	}
	if info, resp := L.Get(-2), L.Get(-1); info.String() != "info" || resp.String() != "resp" {
		t.Errorf("script saw websocketInfo=%v response=%v, want info and resp", info, resp)
	}
}

func TestCompileChunkReturnsAProblemForASyntaxError(t *testing.T) {
	_, err := scripts.CompileChunk("m", "a = 1\nb = = c\n")
	var p scripts.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %T %v is not a Problem", err, err)
	}
	if p.File != "m" || p.Line != 2 || err.Error() != "m:2: syntax error near '='" {
		t.Errorf("problem = %+v (%q), want m:2: syntax error near '='", p, err)
	}
	if proto, err := scripts.CompileChunk("m", "return 1\n"); err != nil || proto == nil {
		t.Errorf("CompileChunk of valid source = %v, %v", proto, err)
	}
}
