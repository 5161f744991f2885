package scripts

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestReadProjectFollowsMuranoYAML(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		MuranoFile: `formatversion: 1.0.0
info:
  name: example
env_schema:
  type: object
  properties:
    GREETING: {type: string}
    ROOMS: {type: integer, default: 3}
  required: [GREETING]
endpoints:
  location: routes
  include: ["**/*.lua"]
  exclude: ["**/*_test.lua", "drafts/**"]
modules:
  location: lib
services:
  location: events
assets:
  location: public
extras: {}
`,
		".env":                                "# values\nGREETING=\"hello there\"\nexport ROOMS=5\n",
		"routes/ws.lua":                       "--#ENDPOINT WEBSOCKET /ws\nreturn greet()\n",
		"routes/api/sub.lua":                  "--#ENDPOINT WEBSOCKET /api/subscribe\nreturn 1\n",
		"routes/ws_test.lua":                  "--#ENDPOINT WEBSOCKET /excluded\nreturn 1\n",
		"routes/drafts/x.lua":                 "--#ENDPOINT WEBSOCKET /draft\nreturn 1\n",
		"lib/util/greet.lua":                  "function greet() return 'hi' end\n",
		"events/websocket_websocket_info.lua": "if websocketInfo.type == 'data' then return end\n",
		"events/websocket.yaml":               "defaults:\n  idle_timeout: 90s\n",
		"public/index.html":                   "<html>",
		"public/app.js":                       "x",
		"endpoints/old.lua":                   "--#ENDPOINT WEBSOCKET /not-a-section-any-more\nreturn 1\n",
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if paths := endpointPaths(sol); !slices.Equal(paths, []string{"/api/subscribe", "/ws"}) {
		t.Errorf("endpoints %v", paths)
	}
	if _, ok := sol.Modules["util.greet"]; !ok || len(sol.Modules) != 1 {
		t.Errorf("modules %v", sol.Modules)
	}
	if _, ok := sol.EventHandlers[EventHandlerWebsocketInfo]; !ok || sol.Config.Defaults.IdleTimeout == "" {
		t.Errorf("services: handler %v, config %+v", sol.EventHandlers, sol.Config)
	}
	if !reflect.DeepEqual(sol.Env, map[string]string{"GREETING": "hello there", "ROOMS": "5"}) || sol.EnvSchema == nil || sol.EnvSchema.Properties["ROOMS"].Type != "integer" {
		t.Errorf("env %v, schema %+v", sol.Env, sol.EnvSchema)
	}
	containsAll(t, "warnings", warnings.Error(), "murano.yaml:20: ignored: luagate does not use extras", "public/: ignored: 2 files, static assets")
}

func TestReadProjectChecksTheEnvironmentAgainstItsSchema(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		MuranoFile:        "env_schema:\n  properties:\n    PORT: {type: integer}\n    DEBUG: {type: boolean}\n  required: [PORT]\n",
		".env":            "DEBUG=yes\nUNDECLARED=1\nnot a line\n",
		"endpoints/a.lua": "--#ENDPOINT WEBSOCKET /a\nreturn 1\n",
	})
	_, _, err := ReadProject(dir)
	containsAll(t, "problems", err.Error(), ".env:3: not NAME=value", `.env: DEBUG="yes" is not a boolean`, ".env: UNDECLARED is not declared", ".env: PORT is required")
}

func TestReadProjectReadsSolutionfileJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		SolutionFile: `{"version": "0.3.0", "routes": "api.lua", "assets": "public", "default_page": "index.html",
  "modules": {"util": "lib/util.lua"},
  "services": {"websocket": {"websocket_info": "event/ws.lua"}, "timer": {"timer": "event/timer.lua"}}}`,
		"api.lua":         "--#ENDPOINT WEBSOCKET /ws\nreturn util_value\n",
		"lib/util.lua":    "util_value = 1\n",
		"event/ws.lua":    "return\n",
		"event/timer.lua": "return\n",
		"public/a.html":   "x",
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.Endpoints) != 1 || sol.Endpoints[0].Path != "/ws" || sol.Modules["util"] == "" || sol.EventHandlers[EventHandlerWebsocketInfo] == "" {
		t.Errorf("solution %+v", sol)
	}
	containsAll(t, "warnings", warnings.Error(), "timer timer event handler event/timer.lua", "public/: ignored: 1 file,")
}

func TestGlobsOfMuranoYAML(t *testing.T) {
	for _, tt := range []struct {
		glob, path string
		want       bool
	}{
		{"**/*.lua", "a.lua", true}, {"**/*.lua", "x/y/a.lua", true}, {"*.lua", "x/a.lua", false},
		{"drafts/**", "drafts/a/b.lua", true}, {"a?.lua", "ab.lua", true}, {"a.lua", "a_lua", false},
	} {
		re, err := globRE(tt.glob)
		if err != nil || re.MatchString(tt.path) != tt.want {
			t.Errorf("%s on %s: %v, %v", tt.glob, tt.path, !tt.want, err)
		}
	}
}

func endpointPaths(sol Solution) []string {
	var paths []string
	for _, e := range sol.Endpoints {
		paths = append(paths, e.Path)
	}
	return paths
}

func containsAll(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s %q lack %q", what, got, want)
		}
	}
}

func TestWriteProjectKeepsTheSchemaAndInitButNoValues(t *testing.T) {
	sol := Solution{
		Endpoints: []*Endpoint{{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\nreturn 1\n"}},
		EnvSchema: &EnvSchema{Type: "object", Properties: map[string]EnvVar{"PORT": {Type: "integer", Default: 80}}},
		Env:       map[string]string{"PORT": "8080"},
		Init:      "print('hi')\n",
	}
	dir := t.TempDir()
	if err := WriteProject(dir, sol); err != nil {
		t.Fatal(err)
	}
	back, _, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Init != sol.Init || back.Env != nil || back.EnvSchema == nil || back.EnvSchema.Properties["PORT"].Type != "integer" {
		t.Errorf("read back %+v", back)
	}
	if d := DiffSolutions(sol, back); !d.Empty() {
		t.Errorf("diff after write and read: %s", d)
	}
}

func TestFingerprintSeesMovedSectionsAndRootFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		MuranoFile:      "endpoints:\n  location: routes\n",
		"routes/a.lua":  "--#ENDPOINT WEBSOCKET /a\nreturn 1\n",
		"elsewhere.lua": "not part of the project",
	})
	prev, err := Fingerprint(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, change := range []map[string]string{
		{"routes/a.lua": "--#ENDPOINT WEBSOCKET /a\nreturn 2\n"},
		{EnvFile: "A=1\n"},
		{InitFile: "print(1)\n"},
		{MuranoFile: "endpoints:\n  location: routes\n  exclude: [b.lua]\n"},
	} {
		for name, src := range change {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fp, err := Fingerprint(dir)
		if err != nil || fp == prev {
			t.Errorf("a change to %v went unseen (%v)", change, err)
		}
		prev = fp
	}
	if err := os.WriteFile(filepath.Join(dir, "elsewhere.lua"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fp, _ := Fingerprint(dir); fp != prev {
		t.Error("a file outside the project changed the fingerprint")
	}
}

func TestModulesThatReturnNothingAreGlobal(t *testing.T) {
	c, err := Compile(Solution{Modules: map[string]string{
		"table_mod":   "local M = {}\nreturn M\n",
		"bare_return": "x = 1\nreturn\n",
		"no_return":   "function f() return 1 end\n",
		"nested":      "if y then return {} end\n",
		"value":       "return 42",
		"empty":       "",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bare_return", "empty", "nested", "no_return"}; !slices.Equal(c.Globals, want) {
		t.Errorf("globals %v, want %v", c.Globals, want)
	}
}

func TestAnEventHandlerBodyIsWrappedOnItsFirstLine(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"function handle_websocket_websocket_info(w) end\n", "function handle_websocket_websocket_info(w) end\n"},
		{"  function handle_websocket_websocket_info (w)\nend", "  function handle_websocket_websocket_info (w)\nend"},
		{"handle_websocket_websocket_info = function(w) end", "handle_websocket_websocket_info = function(w) end"},
		{"print(1)\n", "function handle_websocket_websocket_info(websocketInfo) print(1)\nend"},
		{"-- a comment", "function handle_websocket_websocket_info(websocketInfo) -- a comment\nend"},
	} {
		if got := HandlerSource(tt.src); got != tt.want {
			t.Errorf("HandlerSource(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestABadMuranoYAMLIsAProblemAtItsLine(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		MuranoFile:        "formatversion: 1.0.0\nendpoints:\n  location: [not, a, string]\nmodules:\n  location: ../outside\n",
		"endpoints/a.lua": "--#ENDPOINT WEBSOCKET /a\nreturn 1\n",
	})
	_, _, err := ReadProject(dir)
	if err == nil {
		t.Fatal("a bad murano.yaml was read")
	}
	containsAll(t, "problems", err.Error(), "murano.yaml:3: cannot unmarshal")
	dir = writeFiles(t, map[string]string{
		MuranoFile:        "modules:\n  location: ../outside\n",
		"endpoints/a.lua": "--#ENDPOINT WEBSOCKET /a\nreturn 1\n",
	})
	_, _, err = ReadProject(dir)
	if err == nil {
		t.Fatal("a location outside the project was read")
	}
	containsAll(t, "problems", err.Error(), `murano.yaml: modules.location: "../outside" is not a directory inside the project`)
}
