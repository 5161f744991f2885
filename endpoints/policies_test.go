package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

// tasksModule is the shared module the routed endpoints of these tests
// call.
const tasksModule = `
local M = {}
function M.add(w) return "add " .. w.route_key .. " " .. w.route_value end
function M.list(w, r) r.message = "list " .. w.route_value end
function M.other(w) return "default " .. tostring(w.route_value) .. " " .. w.message_type .. " " .. w.route_key end
function M.hello(w) return "hello " .. w.route_key .. " " .. w.socket_id end
function M.bye(w) print("bye " .. w.route_key .. " " .. w.close_code) end
function M.limited(w)
  print("limited-run " .. w.message)
  if w.message == "bye" then return "close" end
  return {type = "slow", first = w.message}
end
return M
`

// deployRouted deploys endpoints (path, script, ...) beside tasksModule.
func deployRouted(t *testing.T, g *lgtesting.Gateway, pathsAndScripts ...string) {
	t.Helper()
	sol := scripts.Solution{Modules: map[string]string{"tasks": tasksModule}}
	for i := 0; i+1 < len(pathsAndScripts); i += 2 {
		sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{Path: pathsAndScripts[i], Script: pathsAndScripts[i+1]})
	}
	if status, body := g.PutSolution(sol); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
}

// dialWith connects to path asking for subprotocols, and returns the
// client and the handshake's answer.
func dialWith(t *testing.T, g *lgtesting.Gateway, path string, subprotocols ...string) (*lgtesting.Client, *http.Response) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: subprotocols}
	ws, resp, err := d.Dial(g.WSURL(path), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { ws.Close() })
	return lgtesting.Wrap(t, ws), resp
}

func TestRoutesRunModuleFunctionsByTheSelectedValue(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	deployRouted(t, g, "/tasks", `--#ENDPOINT WEBSOCKET /tasks
--#ROUTESELECT $.action
--#ROUTE add tasks.add
--#ROUTE list tasks.list
--#ROUTE $default tasks.other
--#ROUTE $connect tasks.hello
--#ROUTE $disconnect tasks.bye
return "body"
`)
	c, resp := dialWith(t, g, "/tasks")
	id := resp.Header.Get("X-Session-Id")
	c.Expect("hello $connect " + id)
	if ids := g.SocketIDs(1); ids[0] != id {
		t.Errorf("X-Session-Id %q, socket %q", id, ids[0])
	}
	c.Send(`{"action":"add","n":1}`)
	c.Expect("add add add")
	c.Send(`{"action":"list"}`)
	c.Expect("list list")
	c.Send(`{"action":"zzz"}`)
	c.Expect("default zzz data-text $default")
	c.Send(`{"action":7}`)
	c.Expect("default 7 data-text $default")
	c.Send(`{"action":"$connect"}`)
	c.Expect("default $connect data-text $default")
	c.Send(`not json`)
	c.Expect("default nil data-text $default")
	if err := c.Conn.WriteMessage(websocket.BinaryMessage, []byte(`{"action":"add"}`)); err != nil {
		t.Fatal(err)
	}
	c.Expect("default nil data-binary $default")
	_ = c.Conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "done"))
	lgtesting.Eventually(t, "the $disconnect route", func() bool { return strings.Contains(g.Logs.String(), "bye $disconnect 4001") })
}

func TestEventsWithoutARouteRunTheEndpointScript(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	deployRouted(t, g, "/mixed", `--#ENDPOINT WEBSOCKET /mixed
--#ROUTESELECT $.action
--#ROUTE add tasks.add
if websocketInfo.type == "close" then print("body close " .. tostring(websocketInfo.route_key)) return end
return "body " .. websocketInfo.type .. " " .. tostring(websocketInfo.route_key) .. " " .. tostring(websocketInfo.route_value)
`)
	c := g.Dial("/mixed")
	c.Expect("body open nil nil")
	c.Send(`{"action":"add"}`)
	c.Expect("add add add")
	c.Send(`{"action":"other"}`)
	c.Expect("body data nil other")
	c.Conn.Close()
	lgtesting.Eventually(t, "the body's close event", func() bool { return strings.Contains(g.Logs.String(), "body close nil") })
}

func TestARouteToAMissingModuleOrFunctionIsRefusedAtDeploy(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	status, body := g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/r", Script: "--#ENDPOINT WEBSOCKET /r\n--#ROUTESELECT $.a\n--#ROUTE x nosuch.f\n--#ROUTE y tasks.nope\n--#ROUTE z tasks.add\n"}},
		Modules:   map[string]string{"tasks": tasksModule},
	})
	if status != http.StatusBadRequest {
		t.Fatalf("deploy: %d %s", status, body)
	}
	var e struct {
		Details scripts.Problems `json:"details"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	if len(e.Details) != 1 || e.Details[0].File != "/r" || e.Details[0].Line != 3 || !strings.Contains(e.Details[0].Message, "no module nosuch") {
		t.Errorf("missing module: %s", body)
	}
	status, body = g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/r", Script: "--#ENDPOINT WEBSOCKET /r\n--#ROUTESELECT $.a\n--#ROUTE y tasks.nope\n--#ROUTE z tasks.add\n"}},
		Modules:   map[string]string{"tasks": tasksModule},
	})
	e.Details = nil
	_ = json.Unmarshal([]byte(body), &e)
	if status != http.StatusBadRequest || len(e.Details) != 1 || e.Details[0].Line != 3 || !strings.Contains(e.Details[0].Message, "module tasks does not export a function nope") {
		t.Errorf("missing function: %d %s", status, body)
	}
	status, body = g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/r", Script: "--#ENDPOINT WEBSOCKET /r\n--#ROUTE $connect broken.f\n--#ROUTE $default scalar.f\n"}},
		Modules:   map[string]string{"broken": "error('boom') return {}", "scalar": "return 1"},
	})
	if status != http.StatusBadRequest || !strings.Contains(body, "module broken failed to load") || !strings.Contains(body, "boom") ||
		!strings.Contains(body, "module scalar returns a number, not a table of functions") {
		t.Errorf("modules that fail to load or return no table: %d %s", status, body)
	}
}

func TestARatePolicyAnswersWithItsOwnFrameOrCloses(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployRouted(t, g,
		"/drop", `--#ENDPOINT WEBSOCKET /drop
--#RATELIMIT 3/2s code 4008 message "easy <there> & slow"
if websocketInfo.type == "data" then return websocketInfo.message end
`,
		"/close", `--#ENDPOINT WEBSOCKET /close
--#RATELIMIT 3/2s code 4008 message "easy there" then close
if websocketInfo.type == "close" then print("closed " .. websocketInfo.close_code .. " " .. websocketInfo.close_reason) return end
if websocketInfo.type == "data" then return websocketInfo.message end
`)
	c := g.Dial("/drop")
	for _, m := range []string{"1", "2", "3", "4"} {
		c.Send(m)
	}
	c.Expect("1")
	c.Expect("2")
	c.Expect("3")
	c.Expect(`{"type":"RateLimitError","error":"easy <there> & slow","status":4008}`)

	c = g.Dial("/close")
	for _, m := range []string{"1", "2", "3", "4"} {
		c.Send(m)
	}
	for _, m := range []string{"1", "2", "3"} {
		c.Expect(m)
	}
	if code, text := c.ExpectClose(); code != 1008 || text != "easy there" {
		t.Errorf("close %d %q, want 1008 \"easy there\"", code, text)
	}
	lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), "closed 1008 easy there") })
}

func TestTheRateLimitedRouteDecidesOncePerWindow(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployRouted(t, g, "/flood", `--#ENDPOINT WEBSOCKET /flood
--#RATELIMIT 1/min
--#ROUTE $ratelimited tasks.limited
if websocketInfo.type == "data" then return "ok" end
`)
	c := g.Dial("/flood")
	id := g.SocketIDs(1)[0]
	const flood = 500
	// Replies past the send queue's 256 are dropped when the client reads
	// slower than it floods; every one that arrives is the decision.
	conn, read := c.Conn, make(chan struct{})
	go func() {
		defer close(read)
		for n := 0; ; n++ {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if n == 0 && string(msg) != "ok" || n > 0 && string(msg) != `{"first":"m1","type":"slow"}` {
				t.Errorf("reply %d: %s", n, msg)
			}
		}
	}()
	for i := 0; i <= flood; i++ {
		c.Send("m" + strconv.Itoa(i))
	}
	lgtesting.Eventually(t, "the flood to be read", func() bool {
		sn, err := g.Hub().Socket(id)
		return err == nil && sn.MessagesIn == flood+1
	})
	if runs := strings.Count(g.Logs.String(), "limited-run"); runs != 1 {
		t.Errorf("$ratelimited ran %d times for a flood in one window, want once", runs)
	}
	conn.Close()
	<-read

	c = g.Dial("/flood")
	c.Send("hi")
	c.Expect("ok")
	c.Send("bye")
	if code, text := c.ExpectClose(); code != 1008 || text != scripts.DefaultRateLimitMessage {
		t.Errorf("a close decision: %d %q", code, text)
	}
}

func TestIdleAndMaxAgeCloseWithTheirReasonsAndOneCloseEvent(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	closeLog := `if websocketInfo.type == "close" then print("gone " .. websocketInfo.socket_id .. " " .. websocketInfo.close_code .. " " .. websocketInfo.close_reason) end
`
	deployRouted(t, g,
		"/idle", "--#ENDPOINT WEBSOCKET /idle\n--#IDLE 300ms\n"+closeLog,
		"/old", "--#ENDPOINT WEBSOCKET /old\n--#MAXAGE 400ms\n"+closeLog)
	for _, tt := range []struct{ path, reason string }{{"/idle", "idle timeout"}, {"/old", "max connection age"}} {
		c, resp := dialWith(t, g, tt.path)
		id := resp.Header.Get("X-Session-Id")
		c.Send("activity")
		if code, text := c.ExpectClose(); code != 1001 || text != tt.reason {
			t.Errorf("%s: close %d %q", tt.path, code, text)
		}
		line := "gone " + id + " 1001 " + tt.reason
		lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), line) })
		time.Sleep(100 * time.Millisecond) // room for a second close event, which must not come
		if n := strings.Count(g.Logs.String(), "gone "+id); n != 1 {
			t.Errorf("%s: %d close events", tt.path, n)
		}
	}
}

func TestSubprotocolsAreNegotiatedInTheEndpointsOrder(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployRouted(t, g, "/sub", `--#ENDPOINT WEBSOCKET /sub
--#SUBPROTOCOLS v2.chat, v1.chat
if websocketInfo.type == "open" then return tostring(websocketInfo.subprotocol) end
if websocketInfo.type == "data" then
  local i = Websocket.info({socket_id = websocketInfo.socket_id})
  return tostring(i.subprotocol) .. " " .. tostring(i.last_activity_at > 0)
end
`)
	c, resp := dialWith(t, g, "/sub", "v1.chat", "v2.chat")
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "v2.chat" {
		t.Errorf("chosen %q, want v2.chat", got)
	}
	c.Expect("v2.chat")
	c.Send("info")
	c.Expect("v2.chat true")
	status, body := g.API(http.MethodGet, "/api/v1/solution/sockets", "")
	var list []map[string]any
	_ = json.Unmarshal([]byte(body), &list)
	if status != http.StatusOK || len(list) != 1 || list[0]["subprotocol"] != "v2.chat" || list[0]["last_activity_at"] == nil {
		t.Errorf("sockets: %d %s", status, body)
	}

	c, _ = dialWith(t, g, "/sub")
	c.Expect("nil")

	_, resp, err := (&websocket.Dialer{Subprotocols: []string{"v3"}}).Dial(g.WSURL("/sub"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a client asking only for v3: %v %v", err, resp)
	}
	var e struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if !strings.Contains(e.Error, "v2.chat, v1.chat") {
		t.Errorf("refusal %q does not name the offered subprotocols", e.Error)
	}
}

func TestADeployChangesTheLimitsOfALiveSocket(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	echo := `if websocketInfo.type == "data" then return websocketInfo.message end
`
	deployRouted(t, g, "/live", "--#ENDPOINT WEBSOCKET /live\n--#RATELIMIT 1/min\n"+echo)
	c := g.Dial("/live")
	c.Send("a")
	c.Expect("a")
	c.Send("b")
	c.Expect(`{"type":"RateLimitError","error":"message rate limit exceeded","status":429}`)
	deployRouted(t, g, "/live", "--#ENDPOINT WEBSOCKET /live\n--#RATELIMIT off\n--#IDLE 300ms\n"+
		`if websocketInfo.type == "data" then return to_json({websocketInfo.policy.rate_limit == nil, websocketInfo.policy.idle_timeout_ms, pcall(function() websocketInfo.policy.x = 1 end)}) end
`)
	for range 3 {
		c.Send("c")
		c.Expect(`[true,300,false,"/live:4: websocketInfo.policy is read-only: cannot set x"]`)
	}
	if code, text := c.ExpectClose(); code != 1001 || text != "idle timeout" {
		t.Errorf("after the deploy: close %d %q, want the new idle timeout", code, text)
	}
}

func TestPolicyIsWhatScriptsSee(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployRouted(t, g, "/p", `--#ENDPOINT WEBSOCKET /p
--#RATELIMIT 100/min burst 20 then close
--#MAXMESSAGE 1KiB
--#MAXAGE 2h
local p = websocketInfo.policy
local r = p.rate_limit
return table.concat({r.requests, r.window_ms, r.burst, r["then"], p.idle_timeout_ms, p.max_age_ms, p.max_message_bytes}, " ")
`)
	c := g.Dial("/p")
	c.Expect("100 60000 20 close 0 7200000 1024")
	c.Send(strings.Repeat("x", 1025))
	if code, _ := c.ExpectClose(); code != 1009 {
		t.Errorf("a message over --#MAXMESSAGE: close %d", code)
	}
}

func TestActivityEitherWayPostponesTheIdleClose(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	deployRouted(t, g, "/idle", "--#ENDPOINT WEBSOCKET /idle\n--#IDLE 1s\n")
	c := g.Dial("/idle")
	id := g.SocketIDs(1)[0]
	start := time.Now()
	// Messages in, then messages out, each well within the idle timeout
	// (a loaded machine may delay one by a few hundred milliseconds), for
	// longer than it: the socket stays open throughout.
	for range 4 {
		time.Sleep(300 * time.Millisecond)
		c.Send("in")
	}
	for range 4 {
		time.Sleep(300 * time.Millisecond)
		if status, body := g.API(http.MethodPost, "/api/v1/solution/sockets/"+id+"/messages", `{"message":"out"}`); status != http.StatusNoContent {
			t.Fatalf("push: %d %s", status, body)
		}
		c.Expect("out")
	}
	if code, text := c.ExpectClose(); code != 1001 || text != "idle timeout" {
		t.Errorf("close %d %q", code, text)
	}
	if open := time.Since(start); open < 2400*time.Millisecond {
		t.Errorf("closed after %s, before the activity stopped", open)
	}
}
