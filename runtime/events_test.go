package runtime_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"

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

func watchedGateway(t *testing.T, opts ...lgtesting.Option) (*lgtesting.Gateway, *lgtesting.Client) {
	g := lgtesting.NewGateway(t, opts...)
	g.Deploy("/monitor", `return nil`)
	g.Deploy("/watched", watched)
	monitor := g.Dial("/monitor")
	// The socket is listed just after the handshake completes; wait for it
	// so that the first event it should see is not missed.
	g.SocketIDs(1)
	return g, monitor
}

func TestEventsRunInOrderWithOneCloseForEachWayToEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		end       func(g *lgtesting.Gateway, c *lgtesting.Client)
		wantClose string
	}{
		{"client closes", func(g *lgtesting.Gateway, c *lgtesting.Client) {
			msg := websocket.FormatCloseMessage(4000, "bye")
			_ = c.Conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		}, "close:4000:bye:404"},
		{"script closes", func(g *lgtesting.Gateway, c *lgtesting.Client) { c.Send("close me") }, "close:1000:closed by script:404"},
		{"management API closes", func(g *lgtesting.Gateway, c *lgtesting.Client) {
			for _, s := range g.Hub().Sockets() {
				if s.Route == "/watched" {
					g.API("DELETE", "/api/v1/solution/sockets/"+s.ID, "")
				}
			}
		}, "close:1000:closed by administrator:404"},
		{"client vanishes", func(g *lgtesting.Gateway, c *lgtesting.Client) { c.Conn.NetConn().Close() }, "close:1006:connection lost:404"},
		{"message too big", func(g *lgtesting.Gateway, c *lgtesting.Client) { c.Send(strings.Repeat("x", 2048)) }, "close:1009:message too big:404"},
		{"endpoint removed", func(g *lgtesting.Gateway, c *lgtesting.Client) {
			g.API("DELETE", "/api/v1/solution/endpoints?path=/watched", "")
		}, "close:1001:endpoint removed:404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, monitor := watchedGateway(t, func(c *gateway.Config) { c.Runtime.MaxMessageBytes = 1024 })
			w := g.Dial("/watched")
			// Reading lets the client answer a close frame at once.
			go func() {
				for {
					if _, _, err := w.Conn.ReadMessage(); err != nil {
						return
					}
				}
			}()
			monitor.Expect("open:true")
			w.Send("one")
			w.Send("two")
			monitor.Expect("data:one")
			monitor.Expect("data:two")
			tc.end(g, w)
			if tc.name == "script closes" {
				monitor.Expect("data:close me")
			}
			monitor.Expect(tc.wantClose)
			// Nothing more: exactly one close event.
			w.Conn.Close()
			g.Deploy("/ping", `return "pong"`)
			p := g.Dial("/ping")
			p.Expect("pong")
			_ = monitor.Conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, extra, err := monitor.Conn.ReadMessage(); err == nil {
				t.Fatalf("event after the close event: %q", extra)
			}
		})
	}
}

// Messages that arrive behind the one whose script closed the socket are
// not run: the socket is closing when the reader comes to them.
func TestMessagesAfterAScriptsCloseAreNotRun(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/bye", `
if websocketInfo.type == "data" then
  if websocketInfo.message == "bye" then websocketInfo.close() end
  print("ran " .. websocketInfo.message)
elseif websocketInfo.type == "close" then
  print("closed " .. websocketInfo.close_code)
end`)
	c := g.Dial("/bye")
	// Both frames go before the client reads anything: the second is in
	// the server's buffer when the first's script closes the socket.
	c.Send("bye")
	c.Send("after")
	c.Send("later")
	if code, _ := c.ExpectClose(); code != websocket.CloseNormalClosure {
		t.Fatalf("closed with %d, want %d", code, websocket.CloseNormalClosure)
	}
	lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), "closed 1000") })
	logs := g.Logs.String()
	if !strings.Contains(logs, "ran bye") || strings.Contains(logs, "ran after") || strings.Contains(logs, "ran later") {
		t.Fatalf("want only the closing message run, logs:\n%s", logs)
	}
}

func TestShutdownClosesEverySocketWith1001AndRunsCloseEvents(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/s", `if websocketInfo.type == "close" then print("closed " .. websocketInfo.close_code) end`)
	var clients []*lgtesting.Client
	for range 5 {
		clients = append(clients, g.Dial("/s"))
	}
	g.SocketIDs(5)
	health := make(chan int, 1)
	go func() {
		// Health turns 503 as soon as shutdown starts.
		g.Server().StartShutdown()
		resp, err := http.Get(g.URL("") + "/api/v1/solution/health")
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
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if code, _ := c.ExpectClose(); code != 1001 {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	if n := strings.Count(g.Logs.String(), "closed 1001"); n != 5 {
		t.Errorf("%d close events ran, want 5", n)
	}
}

func TestRateLimitKeepsExtraMessagesFromTheScript(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/rl", `if websocketInfo.type == "data" then return "ok " .. websocketInfo.message end`)
	c := g.Dial("/rl")
	for i := range 20 {
		c.Send(string(rune('a' + i)))
	}
	ok, limited := 0, 0
	for range 20 {
		_, m := c.Read()
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
	lgtesting.Eventually(t, "a message to get through after the burst", func() bool {
		c.Send("again")
		_, m := c.Read()
		return m == "ok again"
	})
}

func TestScriptErrorsAndTimeoutsLeaveTheSocketWorking(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) {
		c.Runtime.NoRateLimit = true
		c.Runtime.ScriptTimeout = 200 * time.Millisecond
	})
	g.Deploy("/fragile", `if websocketInfo.type ~= "data" then return end
if websocketInfo.message == "loop" then while true do end end
if websocketInfo.message == "boom" then error("boom") end
if websocketInfo.message == "pcall loop" then pcall(function() while true do end end) end
return "alive"`)
	c := g.Dial("/fragile")
	for _, m := range []string{"boom", "loop", "pcall loop"} {
		c.Send(m)
		c.Send("still there?")
		c.Expect("alive")
	}
	logs := g.Logs.String()
	for _, want := range []string{"/fragile:3: boom", "/fragile:2:", "timed out"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestGlobalsDoNotLeakBetweenExecutions(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/g", `if websocketInfo.type ~= "data" then return end
counter = (counter or 0) + 1
_G.also = (_G.also or 0) + 1
local ok = pcall(function() string.upper = nil end)
return counter .. " " .. also .. " " .. string.upper("x")`)
	a, b := g.Dial("/g"), g.Dial("/g")
	for range 3 {
		a.Send("x")
		b.Send("x")
	}
	for range 3 {
		a.Expect("1 1 X")
		b.Expect("1 1 X")
	}
}

func TestOpenSocketsKeepRunningAcrossADeploy(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/v", `if websocketInfo.type == "data" then return "v1" end`)
	c := g.Dial("/v")
	c.Send("x")
	c.Expect("v1")
	g.Deploy("/v", `if websocketInfo.type == "data" then return "v2" end`)
	c.Send("x")
	c.Expect("v2")
}
