package runtime_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"

	"github.com/gorilla/websocket"
)

func TestMemoryHogsAreStoppedAndTheSocketKeepsWorking(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.ScriptMemory = 32 << 20
		c.Runtime.ScriptTimeout = 20 * time.Second // the watchdog, not the timeout, must stop them
	})
	g.Deploy("/hog", `if websocketInfo.type ~= "data" then return end
local m = websocketInfo.message
if m == "double" then local s = "x" for i = 1, 40 do s = s .. s end end
if m == "table" then local t = {} while true do t[#t + 1] = {i = #t} end end
if m == "rep" then return #string.rep("x", 2^31) end
return "alive"`)
	c := g.Dial("/hog")
	defer func() {
		if t.Failed() {
			t.Log(g.Logs.String())
		}
	}()
	for _, hog := range []string{"double", "table", "rep"} {
		c.Send(hog)
		c.Send("still there?")
		// A hog takes a while to stop under the race detector.
		_ = c.Conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, got, err := c.Conn.ReadMessage(); err != nil || string(got) != "alive" {
			t.Fatalf("after %s: %q %v", hog, got, err)
		}
	}
	logs := g.Logs.String()
	if n := strings.Count(logs, "exceeded the memory limit"); n != 2 {
		t.Errorf("%d executions stopped by the memory limit, want 2 (double, table):\n%s", n, logs)
	}
	if !strings.Contains(logs, "string.rep: result of") {
		t.Errorf("string.rep was not refused:\n%s", logs)
	}
}

func TestPathologicalPatternsFailFastWhileOtherSocketsAreServed(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/pattern", `if websocketInfo.type ~= "data" then return end
local big = string.rep("a", 1024 * 1024)
local ok, err = pcall(string.find, big, "(.-)b")
return tostring(ok) .. " " .. tostring(err)`)
	g.Deploy("/echo", `if websocketInfo.type == "data" then return websocketInfo.message end`)
	bad, good := g.Dial("/pattern"), g.Dial("/echo")
	bad.Send("go")
	for i := range 20 {
		good.Send(fmt.Sprint(i))
		good.Expect(fmt.Sprint(i))
	}
	_, got := bad.Read()
	if !strings.HasPrefix(got, "false ") || !strings.Contains(got, "pattern limit") {
		t.Fatalf("pathological pattern returned %q", got)
	}
}

func TestManySendersToOneSocketAllArriveInOneWriter(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) { c.Runtime.SendQueue = 2000 })
	g.Deploy("/target", `return nil`)
	g.Deploy("/sender", `if websocketInfo.type ~= "data" then return end
for i = 1, 20 do
  local err = Websocket.send({socket_id = websocketInfo.message, message = "m"})
  if err then return err.error end
end`)
	target := g.Dial("/target")
	id := g.SocketIDs(1)[0]
	const senders = 20
	var wg sync.WaitGroup
	for range senders {
		s := g.Dial("/sender")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Conn.WriteMessage(websocket.TextMessage, []byte(id))
		}()
	}
	wg.Add(1)
	go func() { // the management API pushes at the same time
		defer wg.Done()
		for range 20 {
			g.API("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"m"}`)
		}
	}()
	wg.Wait()
	for i := range senders*20 + 20 {
		if _, m := target.Read(); m != "m" {
			t.Fatalf("message %d is %q", i, m)
		}
	}
}

func TestProtocolViolationsCloseWithTheirCodes(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Runtime.MaxMessageBytes = 4096 })
	g.Deploy("/p", `if websocketInfo.type == "data" then return "len " .. #websocketInfo.message end
if websocketInfo.type == "close" then print("close event " .. websocketInfo.close_code) end`)

	t.Run("invalid UTF-8 text closes with 1007", func(t *testing.T) {
		c := g.Dial("/p")
		_ = c.Conn.WriteMessage(websocket.TextMessage, []byte{0xff, 0xfe, 'x'})
		if code, _ := c.ExpectClose(); code != websocket.CloseInvalidFramePayloadData {
			t.Fatalf("close code %d, want 1007", code)
		}
	})
	t.Run("fragmented messages are reassembled", func(t *testing.T) {
		d := websocket.Dialer{WriteBufferSize: 256}
		ws, _, err := d.Dial(g.WSURL("/p"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		w, _ := ws.NextWriter(websocket.TextMessage)
		for range 10 {
			_, _ = w.Write([]byte(strings.Repeat("y", 300))) // each write overflows a frame
		}
		_ = w.Close()
		lgtesting.Wrap(t, ws).Expect("len 3000")
	})
	t.Run("control frame over 125 bytes closes with 1002", func(t *testing.T) {
		c := g.Dial("/p")
		writeRawFrame(t, c.Conn.NetConn(), 0x89, make([]byte, 126))
		if code, _ := c.ExpectClose(); code != websocket.CloseProtocolError {
			t.Fatalf("close code %d, want 1002", code)
		}
	})
	t.Run("a drop mid-frame is a lost connection", func(t *testing.T) {
		c := g.Dial("/p")
		header := []byte{0x81, 0x80 | 100, 1, 2, 3, 4} // promises 100 bytes
		_, _ = c.Conn.NetConn().Write(append(header, "only a few"...))
		c.Conn.NetConn().Close()
	})
	defer func() {
		if t.Failed() {
			t.Log(g.Logs.String())
		}
	}()
	lgtesting.Eventually(t, "close events of every socket", func() bool {
		logs := g.Logs.String()
		return strings.Contains(logs, "close event 1007") && strings.Contains(logs, "close event 1002") &&
			strings.Contains(logs, "close event 1006")
	})
	lgtesting.Eventually(t, "no socket left", func() bool { return len(g.Hub().List()) == 0 })
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
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.SendQueue = 8
		c.Runtime.WriteTimeout = 300 * time.Millisecond
	})
	g.Deploy("/flood", `if websocketInfo.type == "data" then
  local chunk = string.rep("z", 64 * 1024)
  for i = 1, 20 do
    local err = websocketInfo.send(chunk)
    if err and err.status == 503 then print("queue full") break end
  end
end
if websocketInfo.type == "close" then print("closed: " .. websocketInfo.close_reason) end`)
	ws, _, err := websocket.DefaultDialer.Dial(g.WSURL("/flood"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	defer func() {
		if t.Failed() {
			t.Log(g.Logs.String())
		}
	}()
	// Ask for more and never read, until the kernel's buffers are full and
	// a write stalls.
	lgtesting.Eventually(t, "the stalled socket's close event", func() bool {
		_ = ws.WriteMessage(websocket.TextMessage, []byte("more"))
		return strings.Contains(g.Logs.String(), "closed: client stopped reading")
	})
	if !strings.Contains(g.Logs.String(), "queue full") {
		t.Errorf("sends to the full queue did not fail with 503:\n%s", g.Logs.String())
	}
}

func TestPeersThatStopAnsweringPingsAreDropped(t *testing.T) {
	g := lgtesting.NewGateway(t, func(c *gateway.Config) {
		c.Runtime.PingInterval = 100 * time.Millisecond
		c.Runtime.PongTimeout = 100 * time.Millisecond
	})
	g.Deploy("/ping", `if websocketInfo.type == "close" then print("closed " .. websocketInfo.parameters.who .. ": " .. websocketInfo.close_reason) end`)
	// A client answers pings only while it reads.
	alive := g.Dial("/ping?who=alive")
	var pings atomic.Int32
	alive.Conn.SetPingHandler(func(data string) error {
		pings.Add(1)
		return alive.Conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := alive.Conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	g.Dial("/ping?who=silent") // never reads, so never answers
	lgtesting.Eventually(t, "the silent peer to be dropped", func() bool {
		return strings.Contains(g.Logs.String(), "closed silent: connection lost")
	})
	// Several pings later, the peer that answers is still there.
	lgtesting.Eventually(t, "the answering peer to have had 4 pings", func() bool { return pings.Load() >= 4 })
	if strings.Contains(g.Logs.String(), "closed alive") || len(g.Hub().List()) != 1 {
		t.Fatalf("a peer answering pings was dropped:\n%s", g.Logs.String())
	}
}
