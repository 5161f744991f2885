//go:build linux

package runtime_test

import (
	"fmt"
	"net/http"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
)

const parkEcho = `if websocketInfo.type == "data" then return websocketInfo.message end
if websocketInfo.type == "close" then print("closed " .. websocketInfo.socket_id .. " " .. websocketInfo.close_code) end`

// idleGoroutines waits until the server holds at most a few goroutines
// more than base, whatever the number of its idle sockets, besides the
// idle workers its engine keeps for the next writes.
func idleGoroutines(t *testing.T, g *lgtesting.Gateway, base int) {
	t.Helper()
	lgtesting.Eventually(t, "idle sockets to give up their goroutines", func() bool {
		return goruntime.NumGoroutine() <= base+8+g.Engine().IdleWorkers()
	})
}

// Not parallel: it counts the process's goroutines.
func TestIdleSocketsHoldNoGoroutineAndReadOnInOrder(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/echo", parkEcho)
	const n = 200
	base := goruntime.NumGoroutine()
	clients := make([]*lgtesting.Client, n)
	for i := range clients {
		clients[i] = g.Dial("/echo")
	}
	g.SocketIDs(n)
	idleGoroutines(t, g, base)
	for round := range 2 {
		for _, c := range clients {
			c.Send("1")
			c.Send("2")
			c.Send("3")
		}
		for _, c := range clients {
			c.Expect("1")
			c.Expect("2")
			c.Expect("3")
		}
		// Once the messages are answered, the sockets park again: after a
		// sweep or two without a frame.
		idleGoroutines(t, g, base)
		if len(g.Hub().List()) != n {
			t.Fatalf("round %d: %d sockets listed, want %d", round, len(g.Hub().List()), n)
		}
	}
}

// A parked socket lets go of its headers' and parameters' Lua tables
// (luaapi.Conn.Idle); each message after a park reads them as the first
// did, and a script's write to them is not carried to the next event.
// Not parallel: it counts the process's goroutines.
func TestParkedSocketReadsItsHeadersAndParametersOnWaking(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/room/{name}", `if websocketInfo.type ~= "data" then return end
local h, p = websocketInfo.headers, websocketInfo.parameters
local reply = h["x-tag"] .. " " .. p.name .. " " .. p.q
h["x-tag"], p.name = "changed", "changed"
return reply`)
	const n = 40 // enough for idleGoroutines to tell that they parked
	base := goruntime.NumGoroutine()
	clients := make([]*lgtesting.Client, n)
	for i := range clients {
		clients[i] = lgtesting.DialHeader(t, g.WSURL(fmt.Sprintf("/room/r%d?q=%d", i, i)), http.Header{"X-Tag": {fmt.Sprint("tag", i)}})
	}
	g.SocketIDs(n)
	// The first round wakes sockets parked after their open event, the
	// second sockets parked after a message.
	for range 2 {
		idleGoroutines(t, g, base)
		for i, c := range clients {
			c.Send("hi")
			c.Expect(fmt.Sprintf("tag%d r%d %d", i, i, i))
		}
	}
}

func TestParkedSocketWhoseClientVanishesGetsOneCloseEvent(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/echo", parkEcho)
	base := goruntime.NumGoroutine()
	c := g.Dial("/echo")
	id := g.SocketIDs(1)[0]
	idleGoroutines(t, g, base)
	_ = c.Conn.NetConn().Close()
	want := "closed " + id + " 1006"
	lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), want) })
	lgtesting.Eventually(t, "the socket to be unlisted", func() bool { return len(g.Hub().List()) == 0 })
	if n := strings.Count(g.Logs.String(), "closed "+id); n != 1 {
		t.Fatalf("%d close events, want 1", n)
	}
}

// A parked socket is pinged as any other: clients that answer stay,
// without their sockets keeping a goroutine for the pongs; one that does
// not is dropped at the read deadline although nothing reads its
// connection.
func TestParkedSocketsArePingedAndDroppedWhenSilent(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) {
		c.Runtime.PingInterval = 100 * time.Millisecond
		c.Runtime.PongTimeout = 200 * time.Millisecond
	})
	g.Deploy("/echo", parkEcho)
	const answerers = 20
	base := goruntime.NumGoroutine()
	silent := g.Dial("/echo")
	pongs := make(chan struct{}, 100*answerers)
	read := make(chan error, answerers)
	clients := make([]*lgtesting.Client, answerers)
	for i := range clients {
		c := g.Dial("/echo")
		clients[i] = c
		c.Conn.SetPingHandler(func(data string) error {
			pongs <- struct{}{}
			return c.Conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		go func() {
			_, _, err := c.Conn.ReadMessage()
			read <- err
		}()
	}
	g.SocketIDs(answerers + 1)
	lgtesting.Eventually(t, "the silent socket to be dropped", func() bool { return len(g.Hub().List()) == answerers })
	lgtesting.Eventually(t, "the silent socket's close event", func() bool { return strings.Contains(g.Logs.String(), " 1006") })
	// The answering ones outlive several of their deadlines.
	for range 10 * answerers {
		<-pongs
	}
	if n := len(g.Hub().List()); n != answerers {
		t.Fatalf("%d sockets listed, want %d", n, answerers)
	}
	idleGoroutines(t, g, base+answerers) // the test's own readers
	for _, c := range clients {
		c.Send("still here")
		if err := <-read; err != nil {
			t.Fatal(err)
		}
	}
	_ = silent
}

// Not parallel: it looks for goroutines left after the gateway stops.
func TestShutdownStopsThePoller(t *testing.T) {
	before := goleak.IgnoreCurrent()
	g := lgtesting.NewGateway(t)
	g.Deploy("/echo", parkEcho)
	base := goruntime.NumGoroutine()
	c := g.Dial("/echo")
	g.SocketIDs(1)
	idleGoroutines(t, g, base)
	// Reading, the client answers the server's close frame at once.
	read := make(chan error, 1)
	go func() {
		_, _, err := c.Conn.ReadMessage()
		read <- err
	}()
	g.Stop()
	if err := <-read; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("read %v, want a close frame with %d", err, websocket.CloseGoingAway)
	}
	goleak.VerifyNone(t, before)
}

// Sockets that connect together share a ping slot; the turn that pings
// them starts their writers a few at a time, so that a few of the
// engine's workers serve them all rather than one grown stack each.
func TestPingsOfSocketsThatConnectedTogetherShareAFewWorkers(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) {
		c.Runtime.PingInterval = 6400 * time.Millisecond // turns of 200 ms
		c.Runtime.PongTimeout = 10 * time.Second
	})
	g.Deploy("/echo", parkEcho)
	const n = 300
	pinged := make(chan struct{}, n)
	dialed := make(chan error, n)
	// Dialed at once, to land in one slot.
	for range n {
		go func() {
			ws, _, err := websocket.DefaultDialer.Dial(g.WSURL("/echo"), nil)
			if err == nil {
				t.Cleanup(func() { ws.Close() })
			}
			dialed <- err
			if err != nil {
				return
			}
			var once sync.Once
			ws.SetPingHandler(func(data string) error {
				once.Do(func() { pinged <- struct{}{} })
				return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			})
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	for range n {
		if err := <-dialed; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case <-pinged:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d sockets pinged", i, n)
		}
	}
	if k := g.Engine().IdleWorkers(); k > 64 {
		t.Fatalf("%d idle workers kept after pinging %d sockets, want a few", k, n)
	}
}
