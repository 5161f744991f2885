package runtime_test

import (
	"context"
	"fmt"
	"net/http"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// stuck loops forever on every data event, after saying so; its close
// event says so too.
const stuck = `local who = websocketInfo.parameters.who or "?"
if websocketInfo.type == "data" then
  print("data " .. who .. " " .. websocketInfo.message)
  while true do end
end
if websocketInfo.type == "close" then print("close " .. who) end`

// count counts the log lines a script printed with msg.
func count(g *lgtesting.Gateway, msg string) int {
	return strings.Count(g.Logs.String(), `msg="`+msg)
}

// drain reads c in the background, as a browser does, so that it answers
// the server's close frame at once.
func drain(c *lgtesting.Client) {
	go func() {
		for {
			if _, _, err := c.Conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
}

// stuckHandler is the custom event handler's version of stuck on /stuck
// and of an echo elsewhere.
const stuckHandler = `function handle_websocket_websocket_info(info)
  if info.type ~= "data" then return end
  if info.route == "/stuck" then
    print("handler " .. info.parameters.who .. " " .. info.message)
    while true do end
  end
  info.send(info.message)
end`

func TestAStuckEndpointLeavesTheRestOfThePoolToOthers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler bool
		ran     string // what each stuck event logs
	}{{"endpoint scripts", false, "data s"}, {"one custom event handler for every endpoint", true, "handler s"}} {
		t.Run(tc.name, func(t *testing.T) {
			g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
				c.Runtime.LuaStates = 4
				c.Runtime.EndpointStates = 2
				c.Runtime.ScriptTimeout = time.Minute // stuck for the whole test; the shutdown stops them
			})
			g.Deploy("/stuck", stuck)
			g.Deploy("/echo", `if websocketInfo.type == "data" then return websocketInfo.message end`)
			if tc.handler {
				if status, body := g.API(http.MethodPut, wire.Prefix+"/eventhandlers/websocket_info", stuckHandler); status != http.StatusOK {
					t.Fatalf("deploy the event handler: %d %s", status, body)
				}
			}
			defer func() {
				if t.Failed() {
					t.Log(g.Logs.String())
				}
			}()
			for i := range 6 {
				g.Dial(fmt.Sprintf("/stuck?who=s%d", i)).Send("loop")
			}
			lgtesting.Eventually(t, "the stuck endpoint to hold its two states", func() bool { return count(g, tc.ran) == 2 })

			echo := g.Dial("/echo")
			for i := range 20 {
				echo.Send(fmt.Sprint(i))
				echo.Expect(fmt.Sprint(i))
			}
			if n := count(g, tc.ran); n != 2 {
				t.Fatalf("%d of the stuck endpoint's events ran at once, want its share of 2", n)
			}
		})
	}
}

func TestTheUnreadMessagesOfAClientThatLeftAreDropped(t *testing.T) {
	if goruntime.GOOS != "linux" {
		t.Skip("only Linux tells that a client left before its messages are read")
	}
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.EndpointStates = 1
		c.Runtime.ScriptTimeout = time.Second
	})
	g.Deploy("/stuck", stuck)
	defer func() {
		if t.Failed() {
			t.Log(g.Logs.String())
		}
	}()
	// a's first message holds the endpoint's one state until it times out;
	// b's events wait for it. Both clients leave with messages unread.
	a := g.Dial("/stuck?who=a")
	a.Send("1")
	lgtesting.Eventually(t, "a's first message to run", func() bool { return count(g, "data a 1") == 1 })
	b := g.Dial("/stuck?who=b")
	for _, c := range []*lgtesting.Client{b, a} {
		for _, m := range []string{"2", "3", "4"} {
			c.Send(m)
		}
		c.Conn.Close()
	}
	lgtesting.Eventually(t, "both close events", func() bool { return count(g, "close a") == 1 && count(g, "close b") == 1 })
	if a, b := count(g, "data a"), count(g, "data b"); a != 1 || b != 0 {
		t.Fatalf("%d of a's data events ran (want 1, before it left) and %d of b's (want 0)", a, b)
	}
	lgtesting.Eventually(t, "no socket left", func() bool { return g.Hub().Registered() == 0 })
	if a, b := count(g, "close a"), count(g, "close b"); a != 1 || b != 1 {
		t.Fatalf("close events ran %d times for a and %d for b, want once each", a, b)
	}
}

func TestCloseEventsAndShutdownRunWhileEveryStateIsStuck(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.LuaStates = 4
		c.Runtime.EndpointStates = 2
		c.Runtime.ScriptTimeout = time.Minute // longer than the shutdown may take
	})
	g.Deploy("/stuck1", stuck)
	g.Deploy("/stuck2", stuck)
	g.Deploy("/calm", stuck)
	defer func() {
		if t.Failed() {
			t.Log(g.Logs.String())
		}
	}()
	const calm = 20
	clients := make([]*lgtesting.Client, calm)
	for i := range clients {
		clients[i] = g.Dial(fmt.Sprintf("/calm?who=c%d", i))
		drain(clients[i])
	}
	g.SocketIDs(calm)
	for i := range 4 { // two stuck routes, each at its share: every state is taken
		c := g.Dial(fmt.Sprintf("/stuck%d?who=s%d", i%2+1, i))
		drain(c)
		c.Send("loop")
	}
	lgtesting.Eventually(t, "every state to be stuck", func() bool { return count(g, "data s") == 4 })

	clients[0].Conn.Close()
	lgtesting.Eventually(t, "a close event while every state is stuck", func() bool { return count(g, "close c0") == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), lgtesting.WaitLimit)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with every state stuck: %v", err)
	}
	if n := count(g, "close c"); n != calm {
		t.Errorf("%d close events of the calm sockets ran, want %d", n, calm)
	}
	if n := count(g, "close s"); n != 4 {
		t.Errorf("%d close events of the stuck sockets ran, want 4", n)
	}
	if n := strings.Count(g.Logs.String(), "server is shutting down"); n != 4 {
		t.Errorf("%d stuck executions stopped by the shutdown, want 4", n)
	}
}
