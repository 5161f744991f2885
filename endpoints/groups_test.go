package endpoints_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// groupsScript runs the commands its clients send: "join G", "leave G",
// "send KEY VALUE TEXT" (KEY is user_id, session_name, group or
// socket_id), "close KEY VALUE", "presence G [USER]", "members G",
// "groups", "list KEY VALUE", "bad" and "ping". Its close event tells the
// watcher user which groups the socket was in and how many sockets red
// still has.
const groupsScript = `--#ENDPOINT WEBSOCKET /g
--#SECURITY script auth.check
local me = websocketInfo.socket_id
if websocketInfo.type == "close" then
  Websocket.send({user_id = "watcher", message = "left " .. table.concat(websocketInfo.groups, ",") ..
    " red=" .. Websocket.presence({group = "red"}).sockets})
  return
end
if websocketInfo.type ~= "data" then return end
local verb, a, b, text = websocketInfo.message:match("^(%S+) ?(%S*) ?(%S*) ?(.*)$")
local function answer(v)
  if type(v) == "table" and v.status then return "error " .. v.status .. " " .. v.type end
  if type(v) == "table" then return to_json(v) end
  return tostring(v)
end
if verb == "join" then return answer(Websocket.join({socket_id = me, group = a}))
elseif verb == "leave" then return answer(Websocket.leave({socket_id = me, group = a}))
elseif verb == "send" then return "sent " .. answer(Websocket.send({[a] = b, message = text}))
elseif verb == "close" then return "closed " .. answer(Websocket.close({[a] = b}))
elseif verb == "presence" and b ~= "" then return answer(Websocket.presence({group = a, user_id = b}))
elseif verb == "presence" then return answer(Websocket.presence({group = a}))
elseif verb == "members" then return tostring(#Websocket.members({group = a}))
elseif verb == "groups" then return table.concat(Websocket.groups({socket_id = me}), ",")
elseif verb == "list" then return tostring(#Websocket.list({[a] = b}))
elseif verb == "bad" then
  return answer(Websocket.send({user_id = "ann", group = "red", message = "x"})) .. "; " ..
    answer(Websocket.send({message = "x"})) .. "; " ..
    answer(Websocket.join({socket_id = me, group = string.rep("g", 257)})) .. "; " ..
    answer(Websocket.list({group = "red"}))
elseif verb == "ping" then return "pong"
end
`

// groupsGateway serves groupsScript at /g, with the user and session
// name the query names.
func groupsGateway(t *testing.T, opts ...lgtesting.Option) *lgtesting.Gateway {
	t.Helper()
	g := lgtesting.NewGateway(t, append(opts, lgtesting.NoRateLimit)...)
	if status, body := g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/g", Script: groupsScript}},
		Modules:   map[string]string{"auth": lgtesting.UserCheck},
	}); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	return g
}

// settled proves c received nothing it has not read: its own "ping" is
// answered after anything queued before it.
func settled(t *testing.T, c *lgtesting.Client) {
	t.Helper()
	c.Send("ping")
	c.Expect("pong")
}

func TestSendsToUsersNamesAndGroupsReachExactlyTheirSockets(t *testing.T) {
	t.Parallel()
	g := groupsGateway(t)
	watcher := g.Dial("/g?user=watcher")
	a1 := g.Dial("/g?user=ann&session=phone")
	a2 := g.Dial("/g?user=ann&session=laptop")
	b1 := g.Dial("/g?user=bob&session=phone")
	b2 := g.Dial("/g?user=bob")
	c1 := g.Dial("/g?user=carl")
	all := []*lgtesting.Client{a1, a2, b1, b2, c1}
	for _, c := range []*lgtesting.Client{a1, b1, c1} {
		c.Send("join red")
		c.Expect("nil")
	}
	for _, c := range []*lgtesting.Client{a2, b1} {
		c.Send("join blue")
		c.Expect("nil")
	}
	b1.Send("groups")
	b1.Expect("blue,red")

	// Each step names the sockets its message must reach; sync then shows
	// that no other socket got it.
	for _, step := range []struct {
		cmd   string
		sent  string
		reach []*lgtesting.Client
	}{
		{"send user_id ann to-ann", "sent 2", []*lgtesting.Client{a1, a2}},
		{"send session_name phone to-phones", "sent 2", []*lgtesting.Client{a1, b1}},
		{"send group red to-red", "sent 3", []*lgtesting.Client{a1, b1, c1}},
		{"send group blue to-blue", "sent 2", []*lgtesting.Client{a2, b1}},
		{"send user_id nobody lost", "sent 0", nil},
		{"send group green lost", "sent 0", nil},
	} {
		c1.Send(step.cmd)
		// c1 gets its own copy of a send to red before the answer.
		for _, c := range step.reach {
			c.Expect(lastWord(step.cmd))
		}
		c1.Expect(step.sent)
		for _, c := range all {
			settled(t, c)
		}
	}

	a1.Send("presence red")
	if got := presenceOf(t, a1.Next()); got.Sockets != 3 || got.Users["ann"] != 1 || got.Users["bob"] != 1 || got.Users["carl"] != 1 {
		t.Fatalf("presence of red: %+v", got)
	}
	a2.Send("join red")
	a2.Expect("nil")
	a2.Send("presence red ann")
	a2.Expect("2")
	a1.Send("leave red")
	a1.Expect("nil")
	a1.Send("presence red ann")
	a1.Expect("1")
	a1.Send("members red")
	a1.Expect("3")
	a1.Send("list user_id bob")
	a1.Expect("2")
	a1.Send("list route /g")
	a1.Expect("6")
	a1.Send("bad")
	a1.Expect("error 400 ArgumentError; error 400 ArgumentError; error 400 ArgumentError; error 400 ArgumentError")

	// b1 leaves red and blue before its close event runs.
	b1.Conn.Close()
	watcher.Expect("left blue,red red=2")
	c1.Send("presence red bob")
	c1.Expect("0")

	// Closing by user reaches ann's two sockets and no one else's.
	c1.Send("close user_id ann")
	c1.Expect("closed 2")
	for _, c := range []*lgtesting.Client{a1, a2} {
		if code, _ := c.ExpectClose(); code != 1000 {
			t.Fatalf("ann's socket closed with %d", code)
		}
	}
	settled(t, b2)
	settled(t, c1)
}

func lastWord(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ' ' {
			return s[i+1:]
		}
	}
	return s
}

// presence is what Websocket.presence{group=} returns, as JSON.
type presence struct {
	Sockets int            `json:"sockets"`
	Users   map[string]int `json:"users"`
}

func presenceOf(t *testing.T, s string) presence {
	t.Helper()
	var p presence
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		t.Fatalf("presence %q: %v", s, err)
	}
	return p
}

func TestTheUsersAPISendsListsAndClosesAUsersSockets(t *testing.T) {
	t.Parallel()
	g := groupsGateway(t)
	a1 := g.Dial("/g?user=ann")
	a2 := g.Dial("/g?user=ann")
	bob := g.Dial("/g?user=bob")
	g.SocketIDs(3)

	status, body := g.API(http.MethodPost, wire.Prefix+"/users/ann/messages", `{"message":"hello ann"}`)
	if status != http.StatusOK || !containsSent(body, 2) {
		t.Fatalf("post to ann: %d %s", status, body)
	}
	a1.Expect("hello ann")
	a2.Expect("hello ann")
	settled(t, bob)
	if status, body := g.API(http.MethodPost, wire.Prefix+"/users/nobody/messages", `{"message":"x"}`); status != http.StatusOK || !containsSent(body, 0) {
		t.Fatalf("post to nobody: %d %s", status, body)
	}

	status, body = g.API(http.MethodGet, wire.Prefix+"/users/ann/sockets", "")
	var socks []wire.Socket
	if err := json.Unmarshal([]byte(body), &socks); status != http.StatusOK || err != nil || len(socks) != 2 || socks[0].UserID != "ann" || socks[1].UserID != "ann" {
		t.Fatalf("ann's sockets: %d %s", status, body)
	}

	status, body = g.APIAs("", http.MethodDelete, wire.Prefix+"/users/ann/sockets", "")
	if status != http.StatusUnauthorized {
		t.Fatalf("delete without a credential: %d %s", status, body)
	}
	status, body = g.API(http.MethodDelete, wire.Prefix+"/users/ann/sockets", "")
	var closed wire.Closed
	if err := json.Unmarshal([]byte(body), &closed); status != http.StatusOK || err != nil || closed.Closed != 2 {
		t.Fatalf("close ann's sockets: %d %s", status, body)
	}
	for _, c := range []*lgtesting.Client{a1, a2} {
		if code, reason := c.ExpectClose(); code != 1000 || reason != "closed by administrator" {
			t.Fatalf("ann's socket closed with %d %q", code, reason)
		}
	}
	settled(t, bob)
}

func containsSent(body string, n int) bool {
	var s wire.Sent
	return json.Unmarshal([]byte(body), &s) == nil && s.Sent == n
}

func TestASocketJoinsAtMostMaxGroupsPerSocket(t *testing.T) {
	t.Parallel()
	g := groupsGateway(t, func(c *gateway.Config) { c.Hub.MaxGroupsPerSocket = 1 })
	c := g.Dial("/g?user=ann")
	c.Send("join red")
	c.Expect("nil")
	c.Send("join blue")
	c.Expect("error 400 ArgumentError")
	c.Send("groups")
	c.Expect("red")
}
