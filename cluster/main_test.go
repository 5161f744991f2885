package cluster_test

import (
	"net/http"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

func TestMain(m *testing.M) { lgtesting.Main(m) }

// opsScript runs the commands its clients send, each a socket operation
// a script may perform on any socket: "send KEY VALUE TEXT" (KEY is
// socket_id, user_id, session_name or group), "close KEY VALUE", "info
// ID", "join ID G", "leave ID G", "groups ID", "presence G [USER]",
// "members G", "list [KEY VALUE]", "closeAll", "request ID EVENT TEXT",
// "sendwait ID WORD" and "ping".
const opsScript = `--#ENDPOINT WEBSOCKET /c
--#SECURITY script auth.check
if websocketInfo.type ~= "data" then return end
local verb, a, b, text = websocketInfo.message:match("^(%S+) ?(%S*) ?(%S*) ?(.*)$")
if a == "self" then a = websocketInfo.socket_id end
local function answer(v)
  if type(v) == "table" and v.status then return "error " .. v.status .. " " .. v.type end
  if type(v) == "table" then return to_json(v) end
  return tostring(v)
end
if verb == "send" then return "sent " .. answer(Websocket.send({[a] = b, message = text}))
elseif verb == "close" then return "closed " .. answer(Websocket.close({[a] = b}))
elseif verb == "info" then
  local i = Websocket.info({socket_id = a})
  if i.status then return answer(i) end
  return "info " .. i.socket_id .. " " .. i.route .. " " .. tostring(i.user_id)
elseif verb == "join" then return "joined " .. answer(Websocket.join({socket_id = a, group = b}))
elseif verb == "leave" then return "left " .. answer(Websocket.leave({socket_id = a, group = b}))
elseif verb == "groups" then
  local g = Websocket.groups({socket_id = a})
  if g.status then return answer(g) end
  return "groups " .. table.concat(g, ",")
elseif verb == "presence" and b ~= "" then return "presence " .. answer(Websocket.presence({group = a, user_id = b}))
elseif verb == "presence" then
  local p = Websocket.presence({group = a})
  local users = {}
  for u, n in pairs(p.users) do users[#users + 1] = u .. "=" .. n end
  table.sort(users)
  return "presence " .. p.sockets .. " " .. table.concat(users, ",")
elseif verb == "members" then return "members " .. #Websocket.members({group = a})
elseif verb == "list" and a ~= "" then return "list " .. #Websocket.list({[a] = b})
elseif verb == "list" then return "list " .. #Websocket.list()
elseif verb == "closeAll" then return "closedAll " .. Websocket.closeAll()
elseif verb == "request" then
  local reply, err = Websocket.request({socket_id = a, event = b, content = {q = text}, timeout = 3})
  if err then return "replied " .. answer(err) end
  return "replied " .. tostring(reply.a)
elseif verb == "sendwait" then return "delivered " .. answer(Websocket.send({socket_id = a, message = b, wait = true}))
elseif verb == "ping" then return "pong"
end
`

var opsSolution = scripts.Solution{
	Endpoints: []*scripts.Endpoint{{Path: "/c", Script: opsScript}},
	Modules:   map[string]string{"auth": lgtesting.UserCheck},
}

// newCluster starts three nodes on one NATS server, deploys opsSolution on
// the first and waits until every node runs it.
func newCluster(t *testing.T) []*lgtesting.Gateway {
	t.Helper()
	gws := lgtesting.NewCluster(t, lgtesting.NATS(t), 3, lgtesting.NoRateLimit)
	deploy(t, gws, opsSolution)
	return gws
}

// deploy puts sol on the first node and waits until every node runs it.
func deploy(t *testing.T, gws []*lgtesting.Gateway, sol scripts.Solution) {
	t.Helper()
	if status, body := gws[0].PutSolution(sol); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	for _, g := range gws {
		lgtesting.Eventually(t, "the solution on every node", func() bool {
			return len(g.Server().Serving().Endpoints) == len(sol.Endpoints)
		})
	}
}
