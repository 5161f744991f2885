package endpoints_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

// platformSolution is written as platform solutions are: a global module
// of helpers, a module extending table, a body-only event handler, /api/
// paths and os.getenv.
func platformSolution() scripts.Solution {
	return scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			{Path: "/api/subscribe", Script: `return nil`},
			{Path: "/api/v1/foo/{id}", Script: `return nil`},
		},
		Modules: map[string]string{
			"helpers":   "local count = 0\nfunction greet(who) count = count + 1 return prefix() .. who .. \" #\" .. count end\nfunction prefix() return os.getenv(\"GREETING\") .. \", \" end\n",
			"tableutil": "function table.contains(t, v)\n  for _, x in ipairs(t) do if x == v then return true end end\n  return false\nend\n",
			"plain":     "return {answer = 42}",
		},
		EventHandlers: map[string]string{scripts.EventHandlerWebsocketInfo: `
if websocketInfo.type == "data" then
  local reply = greet(websocketInfo.parameters.id or websocketInfo.route)
  reply = reply .. " " .. tostring(table.contains({"a", "b"}, websocketInfo.message)) .. " " .. require("plain").answer
  Websocket.send({socket_id = websocketInfo.socket_id, message = reply})
end
`},
		EnvSchema: &scripts.EnvSchema{Type: "object", Properties: map[string]scripts.EnvVar{
			"GREETING": {Type: "string"}, "ROOMS": {Type: "integer", Default: 3},
		}, Required: []string{"GREETING"}},
		Env: map[string]string{"GREETING": "hello"},
	}
}

func TestPlatformSolutionsRunUnchanged(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	if status, body := g.PutSolution(platformSolution()); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	c := g.Dial("/api/v1/foo/7")
	c.Send("b")
	// The global module's count starts again in each execution.
	c.Expect("hello, 7 #1 true 42")
	c.Send("z")
	c.Expect("hello, 7 #1 false 42")
	s := g.Dial("/api/subscribe")
	s.Send("a")
	s.Expect("hello, /api/subscribe #1 true 42")

	// Values are never answered; a solution PUT without them keeps them.
	_, body := g.API("GET", "/api/v1/solution", "")
	if strings.Contains(body, "hello") || !strings.Contains(body, `"env_sha256"`) {
		t.Errorf("GET /solution shows the env: %s", body)
	}
	sol := platformSolution()
	sol.Env = nil
	if status, body := g.PutSolution(sol); status != http.StatusOK {
		t.Fatalf("redeploy without env: %d %s", status, body)
	}
	status, body := g.API("GET", "/api/v1/solution/env", "")
	if status != http.StatusOK || !strings.Contains(body, `"names":["GREETING","ROOMS"]`) || strings.Contains(body, "hello") {
		t.Errorf("GET /env: %d %s", status, body)
	}
	if status, body := g.API("PUT", "/api/v1/solution/env", `{"GREETING":"hi","ROOMS":"many"}`); status != http.StatusBadRequest || !strings.Contains(body, `ROOMS=\"many\" is not an integer`) {
		t.Errorf("PUT /env with a bad integer: %d %s", status, body)
	}
	if status, body := g.API("PUT", "/api/v1/solution/env", `{"ROOMS":4}`); status != http.StatusBadRequest || !strings.Contains(body, "GREETING is required") {
		t.Errorf("PUT /env without a required name: %d %s", status, body)
	}
	if status, body := g.API("PUT", "/api/v1/solution/env", `{"GREETING":"hi","ROOMS":4}`); status != http.StatusOK {
		t.Fatalf("PUT /env: %d %s", status, body)
	}
	c.Send("a")
	c.Expect("hi, 7 #1 true 42")
}

func TestEventHandlersThatAreNeitherFunctionNorBodyAreRefused(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	sol := scripts.Solution{EventHandlers: map[string]string{scripts.EventHandlerWebsocketInfo: "local x = 1\nif x then\n"}}
	status, body := g.PutSolution(sol)
	if status != http.StatusBadRequest || !strings.Contains(body, `"line":3`) {
		t.Errorf("a broken body: %d %s", status, body)
	}
}

func TestAGlobalModuleThatFailsToLoadIsRefusedAtDeploy(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	status, body := g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/a", Script: "return nil"}},
		Modules:   map[string]string{"ok": "x = 1\n", "bad": "local y = 1\nerror('no config')\n"},
	})
	if status != http.StatusBadRequest || !strings.Contains(body, `"file":"bad"`) || !strings.Contains(body, "bad:2: no config") {
		t.Errorf("deploy: %d %s", status, body)
	}
}

func TestTheInitScriptRunsOnceAfterTheDeployThatChangesIt(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	sol := scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/a", Script: "return nil"}},
		Modules:   map[string]string{"setup": "function banner() return 'ready ' .. os.getenv('MODE') end\n"},
		Env:       map[string]string{"MODE": "test"},
		Init:      "print('init says ' .. banner())\n",
	}
	status, body := g.PutSolution(sol)
	if status != http.StatusOK || !strings.Contains(body, `"init":{"ok":true}`) {
		t.Fatalf("deploy: %d %s", status, body)
	}
	lgtesting.Eventually(t, "the init script's output in the log", func() bool {
		return strings.Count(g.Logs.String(), "init says ready test") == 1
	})
	sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{Path: "/b", Script: "return nil"})
	if status, body := g.PutSolution(sol); status != http.StatusOK || strings.Contains(body, `"init"`) {
		t.Fatalf("a deploy that keeps the init script ran it: %d %s", status, body)
	}
	sol.Init = "print('second')\nerror('no database')\n"
	status, body = g.PutSolution(sol)
	if status != http.StatusOK || !strings.Contains(body, `init.lua failed`) || !strings.Contains(body, "init.lua:2: no database") {
		t.Fatalf("a failing init script: %d %s", status, body)
	}
	if _, body := g.API("GET", "/api/v1/solution", ""); !strings.Contains(body, `"/b"`) || !strings.Contains(body, "no database") {
		t.Errorf("the deploy whose init failed did not stay: %s", body)
	}
	if strings.Count(g.Logs.String(), "init says") != 1 {
		t.Errorf("the init script ran again: %s", g.Logs.String())
	}
}
