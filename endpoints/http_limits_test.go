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
	"github.com/luagate/luagate/scripts"
)

func TestUpgradesWithMoreHeadersThanASocketKeepsAre431(t *testing.T) {
	t.Parallel()
	g := newTestGateway(t)
	g.deploy("/ws", `if websocketInfo.type == "data" then
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
		status, body := dialStatus(t, g.wsURL("/ws"), tt.h)
		if status != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(body, `"type":"HeadersTooLargeError"`) || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %s, want 431 saying %q", name, status, body, tt.says)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial(g.wsURL("/ws"), many(endpoints.MaxSocketHeaders-5, 100))
	if err != nil {
		t.Fatalf("upgrade at the limits: %v", err)
	}
	c := &client{t: t, ws: ws}
	defer ws.Close()
	c.send("count")
	c.expect(fmt.Sprint(endpoints.MaxSocketHeaders)) // ours and the client's
}

func TestRequestHeadersOverMaxHeaderBytesAre431(t *testing.T) {
	t.Parallel()
	g := newTestGateway(t)
	get := func(size int) int {
		req, _ := http.NewRequest("GET", g.http.URL+"/api/v1/solution/health", nil)
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
	g := newTestGateway(t, func(c *testConfig) { c.Server.RequestTimeout = 300 * time.Millisecond })
	conn := g.rawConn("PUT /api/v1/solution HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testToken +
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
	if !closedByServer(t, conn) {
		t.Fatal("the server kept a trickling request open")
	}
}

func TestRefusalsAreAnsweredWithoutWaitingForTheBody(t *testing.T) {
	t.Parallel()
	g := newTestGateway(t)
	g.deploy("/ws", "return nil")
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
		conn := g.rawConn(tt.head) // and the rest of the body never comes
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
	g := newTestGateway(t, func(c *testConfig) { c.Server.MaxHTTPConnections = 2 })
	if err := g.srv.Deploy(scripts.Solution{Endpoints: []scripts.Endpoint{{Path: "/echo", Script: "return websocketInfo.message"}}}); err != nil {
		t.Fatal(err)
	}
	// Upgraded, these are sockets, not HTTP connections.
	sockets := []*client{g.dial("/echo"), g.dial("/echo"), g.dial("/echo")}
	idle := []net.Conn{g.rawConn(""), g.rawConn("")}
	if !closedByServer(t, g.rawConn("")) {
		t.Fatal("a third HTTP connection was kept open")
	}
	idle[0].Close()
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	eventually(t, "a freed place to serve a request", func() bool {
		resp, err := fresh.Get(g.http.URL + "/api/v1/solution/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for i, c := range sockets {
		c.send(fmt.Sprint(i))
		c.expect(fmt.Sprint(i))
	}
}

func TestWebSocketsOutliveTheRequestTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	g := newTestGateway(t, func(c *testConfig) { c.Server.RequestTimeout = timeout })
	g.deploy("/echo", `if websocketInfo.type == "data" then return websocketInfo.message end`)
	c := g.dial("/echo")
	id := g.socketIDs(1)[0]
	// Past the read and the write deadline net/http set on the connection
	// before it was hijacked; only time passing can show they are gone.
	time.Sleep(5 * timeout)
	c.send("still here")
	c.expect("still here")
	if status, body := g.api("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"pushed"}`); status != http.StatusNoContent {
		t.Fatalf("push: %d %s", status, body)
	}
	c.expect("pushed")
}
