package endpoints_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// proxyEndpoint is an endpoint script relaying /p/{room} to backend's
// /echo/{room}, followed by more lines.
func proxyEndpoint(b *lgtesting.Backend, more string) string {
	return "--#ENDPOINT WEBSOCKET /p/{room}\n--#BACKEND " + b.URL + "/echo/{room}\n" + more
}

func TestProxyRelaysBothWaysInOrder(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	b := lgtesting.EchoBackend(t)
	g.Deploy("/p/{room}", proxyEndpoint(b, "--#BACKEND_HEADERS X-Socket: {socket_id}\n--#BACKEND_HEADERS X-Plan: gold\n"))
	h := http.Header{"Cookie": {"secret=1"}, "Authorization": {"Bearer abc"}}
	c := lgtesting.DialHeader(t, g.WSURL("/p/lobby%20one?x=1&y=2"), h)
	id := g.SocketIDs(1)[0]

	r := <-b.Upgrades
	if got := r.URL.RequestURI(); got != "/echo/lobby%20one?x=1&y=2" {
		t.Errorf("backend was asked for %q", got)
	}
	if r.Header.Get("X-Socket") != id || r.Header.Get("X-Plan") != "gold" {
		t.Errorf("backend headers %v: want X-Socket %s and X-Plan gold", r.Header, id)
	}
	if r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" {
		t.Errorf("the client's credentials reached the backend: %v", r.Header)
	}

	const n = 10_000
	go func() {
		for i := range n {
			typ := websocket.TextMessage
			if i%2 == 1 {
				typ = websocket.BinaryMessage
			}
			if c.Conn.WriteMessage(typ, []byte(fmt.Sprint(i))) != nil {
				return
			}
		}
	}()
	for i := range n {
		typ, msg := c.Read()
		want := websocket.TextMessage
		if i%2 == 1 {
			want = websocket.BinaryMessage
		}
		if msg != fmt.Sprint(i) || typ != want {
			t.Fatalf("frame %d: got %q of type %d, want %d of type %d", i, msg, typ, i, want)
		}
	}
	status, body := g.API(http.MethodGet, wire.Prefix+"/sockets/"+id, "")
	var sock wire.Socket
	if err := json.Unmarshal([]byte(body), &sock); err != nil || status != http.StatusOK {
		t.Fatalf("socket: %d %s", status, body)
	}
	if sock.Backend == nil || sock.Backend.FramesUp != n || sock.Backend.FramesDown != n {
		t.Errorf("socket's backend counts %+v: want %d frames each way", sock.Backend, n)
	}
}

func TestProxyFilterRewritesAndDropsEachWay(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	b := lgtesting.EchoBackend(t)
	g.Deploy("/p/{room}", proxyEndpoint(b, `
if websocketInfo.type == "open" then return "welcome" end
if websocketInfo.type == "close" then print("proxy closed", websocketInfo.close_code) return end
local m, dir = websocketInfo.message, websocketInfo.direction
if dir == "upstream" then
  if m == "drop-up" then return false end
  if m == "rewrite-up" then return "rewritten-up" end
  if websocketInfo.message_type == "data-binary" then return "AQI=" end
elseif dir == "downstream" then
  if m == "drop-down" then return false end
  if m == "rewritten-up" then return {seen = m, dir = dir} end
end
`))
	c := g.Dial("/p/x")
	c.Expect("welcome")
	c.Send("rewrite-up")
	c.Expect(`{"dir":"downstream","seen":"rewritten-up"}`)
	c.Send("drop-up")
	c.Send("drop-down")
	if err := c.Conn.WriteMessage(websocket.BinaryMessage, []byte{9, 9, 9}); err != nil {
		t.Fatal(err)
	}
	if typ, msg := c.Read(); typ != websocket.BinaryMessage || msg != "\x01\x02" {
		t.Fatalf("binary frame replaced with %q (type %d), want 01 02", msg, typ)
	}
	c.Send("end")
	c.Expect("end")
	c.Conn.Close()
	lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), "proxy closed") })
	time.Sleep(50 * time.Millisecond) // a second close event would have run by now
	if n := strings.Count(g.Logs.String(), "proxy closed"); n != 1 {
		t.Fatalf("%d close events, want 1", n)
	}
}

func TestProxyRefusesTheUpgradeWhenTheBackendDoesNot(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Runtime.BackendDialTimeout = 300 * time.Millisecond })
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts and never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	g.Deploy("/refused", "--#ENDPOINT WEBSOCKET /refused\n--#BACKEND ws://"+refusedAddr+"/\n")
	g.Deploy("/silent", "--#ENDPOINT WEBSOCKET /silent\n--#BACKEND ws://"+silent.Addr().String()+"/\n")
	for _, path := range []string{"/refused", "/silent"} {
		status, body := lgtesting.DialRefused(t, g.WSURL(path), nil)
		if status != http.StatusBadGateway || !strings.Contains(body, `"BadGatewayError"`) {
			t.Errorf("%s: %d %s, want a 502 BadGatewayError", path, status, body)
		}
	}
	if n := len(g.Hub().List()); n != 0 {
		t.Errorf("%d sockets listed after refused upgrades", n)
	}
}

func TestProxyClosesTheClientAsTheBackendCloses(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	b := lgtesting.NewBackend(t, func(ws *websocket.Conn) {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if string(msg) == "vanish" {
			_ = ws.NetConn().Close()
			return
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte("going"))
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "backend says bye"), time.Now().Add(time.Second))
		_, _, _ = ws.ReadMessage() // the answer to the close
	})
	g.Deploy("/p/{room}", proxyEndpoint(b, `if websocketInfo.type == "close" then print("closed with " .. websocketInfo.close_code .. " " .. websocketInfo.close_reason) end`))
	c := g.Dial("/p/a")
	c.Send("close please")
	c.Expect("going")
	if code, text := c.ExpectClose(); code != 4001 || text != "backend says bye" {
		t.Errorf("client closed with %d %q, want 4001 from the backend", code, text)
	}
	c = g.Dial("/p/b")
	c.Send("vanish")
	// gorilla/websocket refuses to read 1014, which browsers accept, and
	// says which code it was.
	_ = c.Conn.SetReadDeadline(time.Now().Add(lgtesting.WaitLimit))
	if _, _, err := c.Conn.ReadMessage(); err == nil || !strings.Contains(err.Error(), "close code 1014") {
		t.Errorf("client read %v, want a close frame with 1014", err)
	}
	lgtesting.Eventually(t, "the close event", func() bool {
		return strings.Contains(g.Logs.String(), "closed with 1014 backend went away")
	})
}

func TestProxyClosesTheBackendAsTheClientCloses(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	closes := make(chan *websocket.CloseError, 2)
	b := lgtesting.NewBackend(t, func(ws *websocket.Conn) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				ce, _ := err.(*websocket.CloseError)
				closes <- ce
				return
			}
		}
	})
	g.Deploy("/p/{room}", proxyEndpoint(b, ""))
	c := g.Dial("/p/a")
	<-b.Upgrades
	msg := websocket.FormatCloseMessage(4002, "client leaves")
	if err := c.Conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case ce := <-closes:
		if ce == nil || ce.Code != 4002 || ce.Text != "client leaves" {
			t.Fatalf("backend saw %v, want close 4002 client leaves", ce)
		}
	case <-time.After(lgtesting.WaitLimit):
		t.Fatal("the backend was not closed")
	}
	g.Dial("/p/b") // the socket the administrator deletes
	<-b.Upgrades
	id := g.SocketIDs(1)[0]
	if status, body := g.API(http.MethodDelete, wire.Prefix+"/sockets/"+id, ""); status != http.StatusNoContent {
		t.Fatalf("delete socket: %d %s", status, body)
	}
	if ce := <-closes; ce == nil || ce.Code != 1000 || ce.Text != "closed by administrator" {
		t.Fatalf("backend saw %v, want close 1000 closed by administrator", ce)
	}
}

func TestProxyThrottleCountsFramesBothWays(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	got := make(chan string, 16)
	b := lgtesting.NewBackend(t, func(ws *websocket.Conn) {
		for i := range 3 {
			_ = ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprint("greeting ", i)))
		}
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			got <- string(msg)
		}
	})
	g.Deploy("/p/{room}", proxyEndpoint(b, "--#RATELIMIT 4/min\n"))
	c := g.Dial("/p/a")
	for i := range 3 {
		c.Expect(fmt.Sprint("greeting ", i))
	}
	c.Send("fourth frame, the last the plan allows")
	if m := <-got; m != "fourth frame, the last the plan allows" {
		t.Fatalf("backend got %q", m)
	}
	c.Send("fifth")
	if m := c.Next(); !strings.Contains(m, `"RateLimitError"`) {
		t.Fatalf("got %q, want a RateLimitError frame", m)
	}
	select {
	case m := <-got:
		t.Fatalf("the backend got %q over the limit", m)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestProxyAuthenticatesBeforeDialling(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	b := lgtesting.EchoBackend(t)
	g.Deploy("/p/{room}", proxyEndpoint(b, "--#SECURITY apikey\n"))
	if status, _ := lgtesting.DialRefused(t, g.WSURL("/p/a"), nil); status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", status)
	}
	select {
	case r := <-b.Upgrades:
		t.Fatalf("the backend was dialled for a refused client: %s", r.URL)
	default:
	}
}

func TestProxySessionKeepsTheRelayCounts(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	b := lgtesting.EchoBackend(t)
	g.Deploy("/p/{room}", proxyEndpoint(b, ""))
	c := g.Dial("/p/a")
	c.Send("hello")
	c.Expect("hello")
	id := g.SocketIDs(1)[0]
	c.Conn.Close()
	var s wire.Session
	lgtesting.Eventually(t, "the closed session", func() bool {
		status, body := g.API(http.MethodGet, wire.Prefix+"/sessions/"+id, "")
		return status == http.StatusOK && json.Unmarshal([]byte(body), &s) == nil && s.Status == "closed"
	})
	if s.Backend == nil || s.Backend.FramesUp != 1 || s.Backend.FramesDown != 1 || s.Backend.BytesUp != 5 || s.Backend.BytesDown != 5 {
		t.Fatalf("session backend counts %+v, want one frame of 5 bytes each way", s.Backend)
	}
}

// TestProxyLeavesNoGoroutines runs alone: the parallel tests wait for it.
func TestProxyLeavesNoGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	func() {
		g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
		b := lgtesting.EchoBackend(t)
		g.Deploy("/p/{room}", proxyEndpoint(b, ""))
		var wg sync.WaitGroup
		for w := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					ws, _, err := websocket.DefaultDialer.Dial(g.WSURL(fmt.Sprintf("/p/%d-%d", w, i)), nil)
					if err != nil {
						t.Error(err)
						return
					}
					_ = ws.WriteMessage(websocket.TextMessage, []byte("x"))
					_, _, _ = ws.ReadMessage()
					if i%2 == 0 {
						_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
						_, _, _ = ws.ReadMessage()
					}
					ws.Close()
				}
			}()
		}
		wg.Wait()
		lgtesting.Eventually(t, "every socket to end", func() bool { return g.Hub().Registered() == 0 })
		g.Stop()
		b.Close()
	}()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if err := goleak.Find(before); err != nil {
		t.Fatal(err)
	}
}

func TestProxySlowClientSlowsTheBackend(t *testing.T) {
	t.Parallel()
	const frames, size = 2048, 32 << 10 // 64 MiB, more than the sockets' buffers hold
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.SendQueue, c.Runtime.SendQueueBytes = 8, 1<<20
	})
	var written atomic.Int64
	b := lgtesting.NewBackend(t, func(ws *websocket.Conn) {
		msg := make([]byte, size)
		for i := range frames {
			msg[0], msg[1] = byte(i), byte(i>>8)
			if ws.WriteMessage(websocket.BinaryMessage, msg) != nil {
				return
			}
			written.Add(1)
		}
		_, _, _ = ws.ReadMessage()
	})
	g.Deploy("/p/{room}", proxyEndpoint(b, ""))
	c := g.Dial("/p/a")
	// The client reads nothing until the backend stops getting ahead.
	last := int64(-1)
	for n := written.Load(); n != last; n = written.Load() {
		last = n
		time.Sleep(300 * time.Millisecond)
	}
	if last >= frames {
		t.Fatalf("the backend wrote all %d frames to a client that read none: luagate buffered them", frames)
	}
	for i := range frames {
		_, msg := c.Read()
		if len(msg) != size || int(msg[0])|int(msg[1])<<8 != i%65536 {
			t.Fatalf("frame %d: %d bytes starting %x %x", i, len(msg), msg[0], msg[1])
		}
	}
	t.Logf("the backend was held at %d of %d frames", last, frames)
}

func TestProxyShutdownClosesTheBackend(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	closes := make(chan error, 1)
	b := lgtesting.NewBackend(t, func(ws *websocket.Conn) {
		_, _, err := ws.ReadMessage()
		closes <- err
	})
	g.Deploy("/p/{room}", proxyEndpoint(b, ""))
	c := g.Dial("/p/a")
	<-b.Upgrades
	g.Stop()
	if code, text := c.ExpectClose(); code != 1001 || text != "server shutting down" {
		t.Errorf("client closed with %d %q", code, text)
	}
	var ce *websocket.CloseError
	if err := <-closes; !errors.As(err, &ce) || ce.Code != 1001 || ce.Text != "server shutting down" {
		t.Fatalf("backend saw %v, want close 1001 server shutting down", err)
	}
}
