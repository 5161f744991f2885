package endpoints_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"

	"github.com/gorilla/websocket"
)

func TestMalformedUpgradesAreAnswered400(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/ws", `return nil`)
	for name, req := range map[string]string{
		"missing key":   "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"wrong version": "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		"not GET":       "POST /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n",
	} {
		conn := lgtesting.RawConn(t, g.Addr(), req)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"status":400`) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
}

func TestSlowHandshakesAreCutOff(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.HandshakeTimeout = 300 * time.Millisecond })
	g.Deploy("/ws", `return nil`)
	conn := lgtesting.RawConn(t, g.Addr(), "GET /ws HTTP/1.1\r\nHost: x\r\n") // and then nothing
	if !lgtesting.ClosedByServer(t, conn) {
		t.Fatal("the server kept a half-sent request open")
	}
}

func TestConnectionLimitsRefuseWith503(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.MaxConnections = 3; c.Server.MaxConnectionsPerIP = 2 })
	g.Deploy("/ws", `return nil`)
	a := g.Dial("/ws")
	g.Dial("/ws")
	status, body := dialStatus(t, g.WSURL("/ws"), nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "too many connections from 127.0.0.1") {
		t.Fatalf("third socket from one IP: %d %s", status, body)
	}
	// Another loopback address is another client, up to the global limit.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}
	ws, _, err := d.Dial(g.WSURL("/ws"), nil)
	if err != nil {
		t.Fatalf("socket from 127.0.0.2: %v", err)
	}
	defer ws.Close()
	d.NetDialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}).DialContext
	if _, resp, err := d.Dial(g.WSURL("/ws"), nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("socket over the global limit was not refused with 503: %v", err)
	}
	a.Conn.Close()
	lgtesting.Eventually(t, "a freed place to be usable", func() bool {
		status, _ := dialStatus(t, g.WSURL("/ws"), nil)
		return status == http.StatusSwitchingProtocols
	})
}

// dialStatus tries an upgrade and returns the HTTP status and body.
func dialStatus(t *testing.T, url string, h http.Header) (int, string) {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		ws.Close()
		return resp.StatusCode, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAllowedOriginsRefuseOtherOriginsWith403(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.AllowedOrigins = []string{"https://app.example.com"} })
	g.Deploy("/ws", `return nil`)
	for origin, want := range map[string]int{
		"https://app.example.com":  http.StatusSwitchingProtocols,
		"https://APP.example.com/": http.StatusSwitchingProtocols,
		"https://evil.example.com": http.StatusForbidden,
		"":                         http.StatusSwitchingProtocols, // not a browser
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		if got, body := dialStatus(t, g.WSURL("/ws"), h); got != want {
			t.Errorf("origin %q: %d %s, want %d", origin, got, body, want)
		}
	}
}

func TestCompressionIsOffByDefaultAndCountsInflatedBytes(t *testing.T) {
	compressing := websocket.Dialer{EnableCompression: true}
	off := lgtesting.NewGateway(t)
	off.Deploy("/ws", `return nil`)
	ws, resp, err := compressing.Dial(off.WSURL("/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Errorf("compression negotiated without --compression: %q", ext)
	}

	on := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.Compression = true; c.Runtime.MaxMessageBytes = 4096 })
	on.Deploy("/ws", `if websocketInfo.type == "data" then return "len " .. #websocketInfo.message end`)
	ws, resp, err = compressing.Dial(on.WSURL("/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatal("compression not negotiated with --compression")
	}
	c := lgtesting.Wrap(t, ws)
	c.Send(strings.Repeat("a", 4000))
	c.Expect("len 4000")
	c.Send(strings.Repeat("a", 64*1024)) // a few hundred bytes on the wire
	if code, _ := c.ExpectClose(); code != websocket.CloseMessageTooBig {
		t.Fatalf("inflated message over the limit: close code %d, want 1009", code)
	}
}

func TestManagementBodiesOverTheLimitAre413(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.MaxScriptBytes = 1024 })
	big := "--#ENDPOINT WEBSOCKET /big\n" + strings.Repeat("-- padding\n", 200)
	status, body := g.API("PUT", "/api/v1/solution/endpoints", big)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"status":413`) {
		t.Fatalf("oversized script: %d %s", status, body)
	}
	if status, _ := g.API("GET", "/api/v1/solution/endpoints?path=/big", ""); status != http.StatusNotFound {
		t.Errorf("oversized script was stored: %d", status)
	}
}
