package endpoints_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestMemoryHogsAreStoppedAndTheSocketKeepsWorking(t *testing.T) {
	g := newTestGateway(t, noRateLimit, func(c *testConfig) {
		c.Runtime.ScriptMemory = 32 << 20
		c.Runtime.ScriptTimeout = 20 * time.Second // the watchdog, not the timeout, must stop them
	})
	g.deploy("/hog", `if websocketInfo.type ~= "data" then return end
local m = websocketInfo.message
if m == "double" then local s = "x" for i = 1, 40 do s = s .. s end end
if m == "table" then local t = {} while true do t[#t + 1] = {i = #t} end end
if m == "rep" then return #string.rep("x", 2^31) end
return "alive"`)
	c := g.dial("/hog")
	defer func() {
		if t.Failed() {
			t.Log(g.logs.String())
		}
	}()
	for _, hog := range []string{"double", "table", "rep"} {
		c.send(hog)
		c.send("still there?")
		// A hog takes a while to stop under the race detector.
		_ = c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, got, err := c.ws.ReadMessage(); err != nil || string(got) != "alive" {
			t.Fatalf("after %s: %q %v", hog, got, err)
		}
	}
	logs := g.logs.String()
	if n := strings.Count(logs, "exceeded the memory limit"); n != 2 {
		t.Errorf("%d executions stopped by the memory limit, want 2 (double, table):\n%s", n, logs)
	}
	if !strings.Contains(logs, "string.rep: result of") {
		t.Errorf("string.rep was not refused:\n%s", logs)
	}
}

func TestPathologicalPatternsFailFastWhileOtherSocketsAreServed(t *testing.T) {
	g := newTestGateway(t, noRateLimit)
	g.deploy("/pattern", `if websocketInfo.type ~= "data" then return end
local big = string.rep("a", 1024 * 1024)
local ok, err = pcall(string.find, big, "(.-)b")
return tostring(ok) .. " " .. tostring(err)`)
	g.deploy("/echo", `if websocketInfo.type == "data" then return websocketInfo.message end`)
	bad, good := g.dial("/pattern"), g.dial("/echo")
	bad.send("go")
	for i := range 20 {
		good.send(fmt.Sprint(i))
		good.expect(fmt.Sprint(i))
	}
	_, got := bad.read()
	if !strings.HasPrefix(got, "false ") || !strings.Contains(got, "pattern limit") {
		t.Fatalf("pathological pattern returned %q", got)
	}
}

func TestManySendersToOneSocketAllArriveInOneWriter(t *testing.T) {
	g := newTestGateway(t, noRateLimit, func(c *testConfig) { c.Runtime.SendQueue = 2000 })
	g.deploy("/target", `return nil`)
	g.deploy("/sender", `if websocketInfo.type ~= "data" then return end
for i = 1, 20 do
  local err = Websocket.send({socket_id = websocketInfo.message, message = "m"})
  if err then return err.error end
end`)
	target := g.dial("/target")
	id := g.socketIDs(1)[0]
	const senders = 20
	var wg sync.WaitGroup
	for range senders {
		s := g.dial("/sender")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.ws.WriteMessage(websocket.TextMessage, []byte(id))
		}()
	}
	wg.Add(1)
	go func() { // the management API pushes at the same time
		defer wg.Done()
		for range 20 {
			g.api("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"m"}`)
		}
	}()
	wg.Wait()
	for i := range senders*20 + 20 {
		if _, m := target.read(); m != "m" {
			t.Fatalf("message %d is %q", i, m)
		}
	}
}

func TestProtocolViolationsCloseWithTheirCodes(t *testing.T) {
	g := newTestGateway(t, func(c *testConfig) { c.Runtime.MaxMessageBytes = 4096 })
	g.deploy("/p", `if websocketInfo.type == "data" then return "len " .. #websocketInfo.message end
if websocketInfo.type == "close" then print("close event " .. websocketInfo.close_code) end`)

	t.Run("invalid UTF-8 text closes with 1007", func(t *testing.T) {
		c := g.dial("/p")
		_ = c.ws.WriteMessage(websocket.TextMessage, []byte{0xff, 0xfe, 'x'})
		if code, _ := c.expectClose(); code != websocket.CloseInvalidFramePayloadData {
			t.Fatalf("close code %d, want 1007", code)
		}
	})
	t.Run("fragmented messages are reassembled", func(t *testing.T) {
		d := websocket.Dialer{WriteBufferSize: 256}
		ws, _, err := d.Dial(g.wsURL("/p"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		w, _ := ws.NextWriter(websocket.TextMessage)
		for range 10 {
			_, _ = w.Write([]byte(strings.Repeat("y", 300))) // each write overflows a frame
		}
		_ = w.Close()
		(&client{t: t, ws: ws}).expect("len 3000")
	})
	t.Run("control frame over 125 bytes closes with 1002", func(t *testing.T) {
		c := g.dial("/p")
		writeRawFrame(t, c.ws.NetConn(), 0x89, make([]byte, 126))
		if code, _ := c.expectClose(); code != websocket.CloseProtocolError {
			t.Fatalf("close code %d, want 1002", code)
		}
	})
	t.Run("a drop mid-frame is a lost connection", func(t *testing.T) {
		c := g.dial("/p")
		header := []byte{0x81, 0x80 | 100, 1, 2, 3, 4} // promises 100 bytes
		_, _ = c.ws.NetConn().Write(append(header, "only a few"...))
		c.ws.NetConn().Close()
	})
	defer func() {
		if t.Failed() {
			t.Log(g.logs.String())
		}
	}()
	eventually(t, "close events of every socket", func() bool {
		logs := g.logs.String()
		return strings.Contains(logs, "close event 1007") && strings.Contains(logs, "close event 1002") &&
			strings.Contains(logs, "close event 1006")
	})
	eventually(t, "no socket left", func() bool { return len(g.engine.List()) == 0 })
}

// writeRawFrame writes one masked frame, bypassing the client library's
// own checks.
func writeRawFrame(t *testing.T, conn net.Conn, first byte, payload []byte) {
	t.Helper()
	frame := []byte{first}
	switch {
	case len(payload) < 126:
		frame = append(frame, 0x80|byte(len(payload)))
	default:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(len(payload)))
	}
	frame = append(frame, 0, 0, 0, 0) // a zero mask leaves the payload as is
	if _, err := conn.Write(append(frame, payload...)); err != nil {
		t.Fatal(err)
	}
}

func TestAClientThatNeverReadsIsClosedAndSendsFailWith503(t *testing.T) {
	g := newTestGateway(t, noRateLimit, func(c *testConfig) {
		c.Runtime.SendQueue = 8
		c.Runtime.WriteTimeout = 300 * time.Millisecond
	})
	g.deploy("/flood", `if websocketInfo.type == "data" then
  local chunk = string.rep("z", 64 * 1024)
  for i = 1, 20 do
    local err = websocketInfo.send(chunk)
    if err and err.status == 503 then print("queue full") break end
  end
end
if websocketInfo.type == "close" then print("closed: " .. websocketInfo.close_reason) end`)
	ws, _, err := websocket.DefaultDialer.Dial(g.wsURL("/flood"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	defer func() {
		if t.Failed() {
			t.Log(g.logs.String())
		}
	}()
	// Ask for more and never read, until the kernel's buffers are full and
	// a write stalls.
	eventually(t, "the stalled socket's close event", func() bool {
		_ = ws.WriteMessage(websocket.TextMessage, []byte("more"))
		return strings.Contains(g.logs.String(), "closed: client stopped reading")
	})
	if !strings.Contains(g.logs.String(), "queue full") {
		t.Errorf("sends to the full queue did not fail with 503:\n%s", g.logs.String())
	}
}

func TestMalformedUpgradesAreAnswered400(t *testing.T) {
	g := newTestGateway(t)
	g.deploy("/ws", `return nil`)
	for name, req := range map[string]string{
		"missing key":   "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"wrong version": "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		"not GET":       "POST /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n",
	} {
		conn := g.rawConn(req)
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
	g := newTestGateway(t, func(c *testConfig) { c.Server.HandshakeTimeout = 300 * time.Millisecond })
	g.deploy("/ws", `return nil`)
	conn := g.rawConn("GET /ws HTTP/1.1\r\nHost: x\r\n") // and then nothing
	if !closedByServer(t, conn) {
		t.Fatal("the server kept a half-sent request open")
	}
}

func TestConnectionLimitsRefuseWith503(t *testing.T) {
	g := newTestGateway(t, func(c *testConfig) { c.Server.MaxConnections = 3; c.Server.MaxConnectionsPerIP = 2 })
	g.deploy("/ws", `return nil`)
	a := g.dial("/ws")
	g.dial("/ws")
	status, body := dialStatus(t, g.wsURL("/ws"), nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "too many connections from 127.0.0.1") {
		t.Fatalf("third socket from one IP: %d %s", status, body)
	}
	// Another loopback address is another client, up to the global limit.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}
	ws, _, err := d.Dial(g.wsURL("/ws"), nil)
	if err != nil {
		t.Fatalf("socket from 127.0.0.2: %v", err)
	}
	defer ws.Close()
	d.NetDialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}).DialContext
	if _, resp, err := d.Dial(g.wsURL("/ws"), nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("socket over the global limit was not refused with 503: %v", err)
	}
	a.ws.Close()
	eventually(t, "a freed place to be usable", func() bool {
		status, _ := dialStatus(t, g.wsURL("/ws"), nil)
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
	g := newTestGateway(t, func(c *testConfig) { c.Server.AllowedOrigins = []string{"https://app.example.com"} })
	g.deploy("/ws", `return nil`)
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
		if got, body := dialStatus(t, g.wsURL("/ws"), h); got != want {
			t.Errorf("origin %q: %d %s, want %d", origin, got, body, want)
		}
	}
}

func TestCompressionIsOffByDefaultAndCountsInflatedBytes(t *testing.T) {
	compressing := websocket.Dialer{EnableCompression: true}
	off := newTestGateway(t)
	off.deploy("/ws", `return nil`)
	ws, resp, err := compressing.Dial(off.wsURL("/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Errorf("compression negotiated without --compression: %q", ext)
	}

	on := newTestGateway(t, func(c *testConfig) { c.Server.Compression = true; c.Runtime.MaxMessageBytes = 4096 })
	on.deploy("/ws", `if websocketInfo.type == "data" then return "len " .. #websocketInfo.message end`)
	ws, resp, err = compressing.Dial(on.wsURL("/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatal("compression not negotiated with --compression")
	}
	c := &client{t: t, ws: ws}
	c.send(strings.Repeat("a", 4000))
	c.expect("len 4000")
	c.send(strings.Repeat("a", 64*1024)) // a few hundred bytes on the wire
	if code, _ := c.expectClose(); code != websocket.CloseMessageTooBig {
		t.Fatalf("inflated message over the limit: close code %d, want 1009", code)
	}
}

func TestManagementBodiesOverTheLimitAre413(t *testing.T) {
	g := newTestGateway(t, func(c *testConfig) { c.Server.MaxScriptBytes = 1024 })
	big := "--#ENDPOINT WEBSOCKET /big\n" + strings.Repeat("-- padding\n", 200)
	status, body := g.api("PUT", "/api/v1/solution/endpoints", big)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"status":413`) {
		t.Fatalf("oversized script: %d %s", status, body)
	}
	if status, _ := g.api("GET", "/api/v1/solution/endpoints?path=/big", ""); status != http.StatusNotFound {
		t.Errorf("oversized script was stored: %d", status)
	}
}

func TestPeersThatStopAnsweringPingsAreDropped(t *testing.T) {
	g := newTestGateway(t, func(c *testConfig) {
		c.Runtime.PingInterval = 100 * time.Millisecond
		c.Runtime.PongTimeout = 100 * time.Millisecond
	})
	g.deploy("/ping", `if websocketInfo.type == "close" then print("closed " .. websocketInfo.parameters.who .. ": " .. websocketInfo.close_reason) end`)
	// A client answers pings only while it reads.
	alive := g.dial("/ping?who=alive")
	var pings atomic.Int32
	alive.ws.SetPingHandler(func(data string) error {
		pings.Add(1)
		return alive.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := alive.ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	g.dial("/ping?who=silent") // never reads, so never answers
	eventually(t, "the silent peer to be dropped", func() bool {
		return strings.Contains(g.logs.String(), "closed silent: connection lost")
	})
	// Several pings later, the peer that answers is still there.
	eventually(t, "the answering peer to have had 4 pings", func() bool { return pings.Load() >= 4 })
	if strings.Contains(g.logs.String(), "closed alive") || len(g.engine.List()) != 1 {
		t.Fatalf("a peer answering pings was dropped:\n%s", g.logs.String())
	}
}
