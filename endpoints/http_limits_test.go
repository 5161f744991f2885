package endpoints_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

func TestUpgradesWithMoreHeadersThanASocketKeepsAre431(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/ws", `if websocketInfo.type == "data" then
  local n = 0 for _ in pairs(websocketInfo.headers) do n = n + 1 end
  return tostring(n)
end`)
	many := func(n, size int) http.Header {
		h := http.Header{}
		for i := range n {
			h.Set(fmt.Sprintf("X-H%d", i), strings.Repeat("v", size))
		}
		return h
	}
	for name, tt := range map[string]struct {
		h    http.Header
		says string
	}{
		// The client adds 5 headers of its own.
		"lines": {many(endpoints.MaxSocketHeaders-4, 1), "header lines: a WebSocket upgrade may send at most 100"},
		"bytes": {many(1, endpoints.MaxSocketHeaderBytes), "bytes of headers: a WebSocket upgrade may send at most 16384"},
	} {
		status, body := dialStatus(t, g.WSURL("/ws"), tt.h)
		if status != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(body, `"type":"HeadersTooLargeError"`) || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %s, want 431 saying %q", name, status, body, tt.says)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial(g.WSURL("/ws"), many(endpoints.MaxSocketHeaders-5, 100))
	if err != nil {
		t.Fatalf("upgrade at the limits: %v", err)
	}
	c := lgtesting.Wrap(t, ws)
	defer ws.Close()
	c.Send("count")
	c.Expect(fmt.Sprint(endpoints.MaxSocketHeaders)) // ours and the client's
}

func TestRequestHeadersOverMaxHeaderBytesAre431(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	get := func(size int) int {
		req, _ := http.NewRequest("GET", g.URL("")+"/api/v1/solution/health", nil)
		req.Header.Set("X-Big", strings.Repeat("v", size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := get(endpoints.MaxHeaderBytes / 2); status != http.StatusOK {
		t.Errorf("headers of half MaxHeaderBytes: %d, want 200", status)
	}
	// net/http allows 4 KiB over MaxHeaderBytes.
	if status := get(endpoints.MaxHeaderBytes + 8<<10); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("headers over MaxHeaderBytes: %d, want 431", status)
	}
}

func TestARequestThatTricklesItsBodyIsCutOffAtTheRequestTimeout(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.RequestTimeout = 300 * time.Millisecond })
	conn := lgtesting.RawConn(t, g.Addr(), "PUT /api/v1/solution HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+lgtesting.Token+
		"\r\nContent-Length: 100000\r\n\r\n{")
	// A byte every 50 ms keeps the connection busy, never idle.
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	})
	defer wg.Wait()
	defer close(done)
	if !lgtesting.ClosedByServer(t, conn) {
		t.Fatal("the server kept a trickling request open")
	}
}

func TestRefusalsAreAnsweredWithoutWaitingForTheBody(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/ws", "return nil")
	for _, tt := range []struct {
		name, head string
		status     int
	}{
		{"no token", "PUT /api/v1/solution HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"endpoints\"", 401},
		{"wrong token, chunked", "PUT /api/v1/solution/endpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n--#E\r\n", 401},
		{"unknown management route", "POST /api/v1/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx", 404},
		{"health", "GET /api/v1/solution/health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx", 200},
		{"body to an endpoint", "POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx", 405},
	} {
		conn := lgtesting.RawConn(t, g.Addr(), tt.head) // and the rest of the body never comes
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: no answer before the body: %v", tt.name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || !resp.Close {
			t.Errorf("%s: %d (closing: %v), want %d and the connection closed", tt.name, resp.StatusCode, resp.Close, tt.status)
		}
	}
}

func TestHTTPConnectionsPastTheLimitAreClosedAndSocketsDoNotCount(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.MaxHTTPConnections = 2 })
	if err := g.Server().Deploy(scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/echo", Script: "return websocketInfo.message"}}}); err != nil {
		t.Fatal(err)
	}
	// Upgraded, these are sockets, not HTTP connections.
	sockets := []*lgtesting.Client{g.Dial("/echo"), g.Dial("/echo"), g.Dial("/echo")}
	idle := []net.Conn{lgtesting.RawConn(t, g.Addr(), ""), lgtesting.RawConn(t, g.Addr(), "")}
	if !lgtesting.ClosedByServer(t, lgtesting.RawConn(t, g.Addr(), "")) {
		t.Fatal("a third HTTP connection was kept open")
	}
	idle[0].Close()
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	lgtesting.Eventually(t, "a freed place to serve a request", func() bool {
		resp, err := fresh.Get(g.URL("") + "/api/v1/solution/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for i, c := range sockets {
		c.Send(fmt.Sprint(i))
		c.Expect(fmt.Sprint(i))
	}
}

func TestWebSocketsOutliveTheRequestTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.RequestTimeout = timeout })
	g.Deploy("/echo", `if websocketInfo.type == "data" then return websocketInfo.message end`)
	c := g.Dial("/echo")
	id := g.SocketIDs(1)[0]
	// Past the read and the write deadline net/http set on the connection
	// before it was hijacked; only time passing can show they are gone.
	time.Sleep(5 * timeout)
	c.Send("still here")
	c.Expect("still here")
	if status, body := g.API("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"pushed"}`); status != http.StatusNoContent {
		t.Fatalf("push: %d %s", status, body)
	}
	c.Expect("pushed")
}
