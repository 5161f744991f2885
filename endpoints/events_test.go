package endpoints_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// watched reports each of its events to every socket on /monitor, so a test
// sees the events in the order they ran.
const watched = `
local line = websocketInfo.type
if websocketInfo.type == "open" then
  local listed = false
  for _, id in ipairs(Websocket.list()) do
    if id == websocketInfo.socket_id then listed = true end
  end
  line = line .. ":" .. tostring(listed)
elseif websocketInfo.type == "data" then
  line = line .. ":" .. websocketInfo.message
elseif websocketInfo.type == "close" then
  local err = websocketInfo.send("too late")
  line = line .. ":" .. websocketInfo.close_code .. ":" .. websocketInfo.close_reason .. ":" .. err.status
end
for _, id in ipairs(Websocket.list()) do
  local i = Websocket.info({socket_id = id})
  if i.route == "/monitor" then Websocket.send({socket_id = id, message = line}) end
end
if websocketInfo.message == "close me" then websocketInfo.close() end
`

func watchedGateway(t *testing.T, opts ...gatewayOption) (*gateway, *client) {
	g := newTestGateway(t, opts...)
	g.deploy("/monitor", `return nil`)
	g.deploy("/watched", watched)
	monitor := g.dial("/monitor")
	// The socket is listed just after the handshake completes; wait for it
	// so that the first event it should see is not missed.
	g.socketIDs(1)
	return g, monitor
}

func TestEventsRunInOrderWithOneCloseForEachWayToEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		end       func(g *gateway, c *client)
		wantClose string
	}{
		{"client closes", func(g *gateway, c *client) {
			msg := websocket.FormatCloseMessage(4000, "bye")
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		}, "close:4000:bye:404"},
		{"script closes", func(g *gateway, c *client) { c.send("close me") }, "close:1000:closed by script:404"},
		{"management API closes", func(g *gateway, c *client) {
			for _, s := range g.engine.Sockets() {
				if s.Route == "/watched" {
					g.api("DELETE", "/api/v1/solution/sockets/"+s.ID, "")
				}
			}
		}, "close:1000:closed by administrator:404"},
		{"client vanishes", func(g *gateway, c *client) { c.ws.NetConn().Close() }, "close:1006:connection lost:404"},
		{"message too big", func(g *gateway, c *client) { c.send(strings.Repeat("x", 2048)) }, "close:1009:message too big:404"},
		{"endpoint removed", func(g *gateway, c *client) {
			g.api("DELETE", "/api/v1/solution/endpoints?path=/watched", "")
		}, "close:1001:endpoint removed:404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, monitor := watchedGateway(t, func(c *testConfig) { c.Runtime.MaxMessageBytes = 1024 })
			w := g.dial("/watched")
			// Reading lets the client answer a close frame at once.
			go func() {
				for {
					if _, _, err := w.ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			monitor.expect("open:true")
			w.send("one")
			w.send("two")
			monitor.expect("data:one")
			monitor.expect("data:two")
			tc.end(g, w)
			if tc.name == "script closes" {
				monitor.expect("data:close me")
			}
			monitor.expect(tc.wantClose)
			// Nothing more: exactly one close event.
			w.ws.Close()
			g.deploy("/ping", `return "pong"`)
			p := g.dial("/ping")
			p.expect("pong")
			_ = monitor.ws.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, extra, err := monitor.ws.ReadMessage(); err == nil {
				t.Fatalf("event after the close event: %q", extra)
			}
		})
	}
}

func TestShutdownClosesEverySocketWith1001AndRunsCloseEvents(t *testing.T) {
	g := newTestGateway(t)
	g.deploy("/s", `if websocketInfo.type == "close" then print("closed " .. websocketInfo.close_code) end`)
	var clients []*client
	for range 5 {
		clients = append(clients, g.dial("/s"))
	}
	g.socketIDs(5)
	health := make(chan int, 1)
	go func() {
		// Health turns 503 as soon as shutdown starts.
		g.srv.StartShutdown()
		resp, err := http.Get(g.http.URL + "/api/v1/solution/health")
		if err == nil {
			resp.Body.Close()
			health <- resp.StatusCode
		}
	}()
	if got := <-health; got != http.StatusServiceUnavailable {
		t.Errorf("health while shutting down: %d", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.engine.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if code, _ := c.expectClose(); code != 1001 {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	if n := strings.Count(g.logs.String(), "closed 1001"); n != 5 {
		t.Errorf("%d close events ran, want 5", n)
	}
}

func TestRateLimitKeepsExtraMessagesFromTheScript(t *testing.T) {
	g := newTestGateway(t)
	g.deploy("/rl", `if websocketInfo.type == "data" then return "ok " .. websocketInfo.message end`)
	c := g.dial("/rl")
	for i := range 20 {
		c.send(string(rune('a' + i)))
	}
	ok, limited := 0, 0
	for range 20 {
		_, m := c.read()
		switch {
		case strings.HasPrefix(m, "ok "):
			ok++
		case m == `{"type":"RateLimitError","error":"message rate limit exceeded","status":429}`:
			limited++
		default:
			t.Fatalf("unexpected message %q", m)
		}
	}
	if ok != 5 || limited != 15 {
		t.Fatalf("%d messages reached the script and %d were limited, want 5 and 15", ok, limited)
	}
	// Still connected: once tokens refill, messages reach the script again.
	eventually(t, "a message to get through after the burst", func() bool {
		c.send("again")
		_, m := c.read()
		return m == "ok again"
	})
}

func TestScriptErrorsAndTimeoutsLeaveTheSocketWorking(t *testing.T) {
	g := newTestGateway(t, func(c *testConfig) { c.Runtime.RateLimit = -1; c.Runtime.ScriptTimeout = 200 * time.Millisecond })
	g.deploy("/fragile", `if websocketInfo.type ~= "data" then return end
if websocketInfo.message == "loop" then while true do end end
if websocketInfo.message == "boom" then error("boom") end
if websocketInfo.message == "pcall loop" then pcall(function() while true do end end) end
return "alive"`)
	c := g.dial("/fragile")
	for _, m := range []string{"boom", "loop", "pcall loop"} {
		c.send(m)
		c.send("still there?")
		c.expect("alive")
	}
	logs := g.logs.String()
	for _, want := range []string{"/fragile:3: boom", "/fragile:2:", "timed out"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestGlobalsDoNotLeakBetweenExecutions(t *testing.T) {
	g := newTestGateway(t, noRateLimit)
	g.deploy("/g", `if websocketInfo.type ~= "data" then return end
counter = (counter or 0) + 1
_G.also = (_G.also or 0) + 1
local ok = pcall(function() string.upper = nil end)
return counter .. " " .. also .. " " .. string.upper("x")`)
	a, b := g.dial("/g"), g.dial("/g")
	for range 3 {
		a.send("x")
		b.send("x")
	}
	for range 3 {
		a.expect("1 1 X")
		b.expect("1 1 X")
	}
}

func TestOpenSocketsKeepRunningAcrossADeploy(t *testing.T) {
	g := newTestGateway(t)
	g.deploy("/v", `if websocketInfo.type == "data" then return "v1" end`)
	c := g.dial("/v")
	c.send("x")
	c.expect("v1")
	g.deploy("/v", `if websocketInfo.type == "data" then return "v2" end`)
	c.send("x")
	c.expect("v2")
}

func TestSocketsAPIPushesAndLists(t *testing.T) {
	g := newTestGateway(t)
	g.deploy("/p/{id}", `return nil`)
	c := g.dial("/p/7?x=1")
	id := g.socketIDs(1)[0]

	status, body := g.api("GET", "/api/v1/solution/sockets", "")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || status != 200 || len(list) != 1 {
		t.Fatalf("list sockets: %d %s", status, body)
	}
	if list[0]["socket_id"] != id || list[0]["route"] != "/p/{id}" {
		t.Errorf("socket listed as %v", list[0])
	}
	if status, body := g.api("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"from outside"}`); status != http.StatusNoContent {
		t.Fatalf("push: %d %s", status, body)
	}
	c.expect("from outside")
	if status, _ := g.api("POST", "/api/v1/solution/sockets/nope/messages", `{"message":"x"}`); status != http.StatusNotFound {
		t.Errorf("push to unknown socket: %d", status)
	}
	if status, _ := g.api("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"x","type":"data-json"}`); status != http.StatusBadRequest {
		t.Errorf("push with a bad type: %d", status)
	}
	status, body = g.api("DELETE", "/api/v1/solution/sockets", "")
	if status != http.StatusOK || !strings.Contains(body, `"closed":1`) {
		t.Fatalf("close all: %d %s", status, body)
	}
	if code, _ := c.expectClose(); code != 1000 {
		t.Errorf("close code %d", code)
	}
}

func TestUpgradeAnswers(t *testing.T) {
	g := newTestGateway(t)
	g.deploy("/ws", `return nil`)
	resp, err := http.Get(g.http.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("plain GET on an endpoint: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, err = http.Get(g.http.URL + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
