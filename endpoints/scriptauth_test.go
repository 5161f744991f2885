package endpoints_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

// checkModule is a script check: it accepts ann with a user and claims,
// anyone with the token "plain" without, refuses the rest with 403, and
// raises for "boom".
const checkModule = `local M = {}
function M.check(request)
  local t = request.parameters.token
  if t == "ann" then
    return {user_id = "ann", session_name = "phone", claims = {role = "owner", from = request.remote_addr}}
  end
  if t == "plain" then return true end
  if t == "boom" then error("check exploded") end
  return false, 403, "no entry for " .. tostring(t) .. " via " .. request.route
end
return M
`

func TestScriptCheckAuthenticatesUpgrades(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	status, body := g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/scripted", Script: "--#ENDPOINT WEBSOCKET /scripted\n--#SECURITY script auth.check\n" + whoAmI +
			`if websocketInfo.type == "data" then
  local ok = pcall(function() websocketInfo.auth.claims.role = "root" end)
  local ok2 = pcall(function() websocketInfo.auth.scheme = "none" end)
  return tostring(ok) .. " " .. tostring(ok2) .. " " .. websocketInfo.auth.claims.role .. " " .. websocketInfo.auth.claims.from
end`}},
		Modules: map[string]string{"auth": checkModule},
	})
	if status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	c := g.Dial("/scripted?token=ann&session_name=ignored")
	if id := whoIs(t, c); id.UserID != "ann" || id.SessionName != "phone" || id.Scheme != "script" || id.Role != "owner" {
		t.Errorf("identity %+v", id)
	}
	c.Send("write")
	c.Expect("false false owner 127.0.0.1")

	plain := g.Dial("/scripted?token=plain")
	if id := whoIs(t, plain); id.UserID != "" || id.Scheme != "script" {
		t.Errorf("identity of a check that returned true: %+v", id)
	}

	if msg := expectRefused(t, g, "/scripted?token=bob", nil, http.StatusForbidden, "ForbiddenError"); msg != "no entry for bob via /scripted" {
		t.Errorf("refusal message %q", msg)
	}
	expectRefused(t, g, "/scripted?token=boom", nil, http.StatusInternalServerError, "AuthCheckError")
	logs := g.Logs.String()
	if !strings.Contains(logs, "auth:8: check exploded") {
		t.Errorf("the check's error is not logged with its line:\n%s", logs)
	}
	if ids := g.SocketIDs(2); len(ids) != 2 {
		t.Errorf("sockets %v", ids)
	}
	expectNothingRan(t, g, 2)

	status, body = g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/scripted", Script: "--#ENDPOINT WEBSOCKET /scripted\n\n--#SECURITY script auth.verify\n"}},
		Modules:   map[string]string{"auth": checkModule},
	})
	if status != http.StatusBadRequest || !strings.Contains(body, `"line":3`) || !strings.Contains(body, "does not export a function verify") {
		t.Errorf("a check the module lacks: %d %s", status, body)
	}
}
