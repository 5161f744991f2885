package runtime_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/lgtesting"

	"github.com/gorilla/websocket"
)

// infoEcho answers every open and data event with websocketInfo as JSON,
// functions left out.
const infoEcho = `
local copy = {}
for k, v in pairs(websocketInfo) do
  if type(v) ~= "function" then copy[k] = v end
end
return to_json(copy)
`

type info struct {
	URI         string            `json:"uri"`
	Type        string            `json:"type"`
	Route       string            `json:"route"`
	Headers     map[string]string `json:"headers"`
	Message     string            `json:"message"`
	SocketID    string            `json:"socket_id"`
	Timestamp   float64           `json:"timestamp"`
	Parameters  map[string]string `json:"parameters"`
	MessageType string            `json:"message_type"`
}

func decodeInfo(t *testing.T, s string) info {
	t.Helper()
	var i info
	if err := json.Unmarshal([]byte(s), &i); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return i
}

func TestWebsocketInfoCarriesEveryField(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/chat/{room}/{user}", infoEcho)
	hdr := http.Header{}
	hdr.Add("X-Tag", "a")
	hdr.Add("X-Tag", "b")
	url := g.WSURL("/chat/lobby/ann?user=query-loses&lang=en")
	before := time.Now().UnixMilli()
	ws, _, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	c := lgtesting.Wrap(t, ws)

	_, raw := c.Read()
	open := decodeInfo(t, raw)
	if open.Type != "open" || open.URI != url || open.Route != "/chat/{room}/{user}" {
		t.Errorf("open event: type %q uri %q route %q", open.Type, open.URI, open.Route)
	}
	if !regexp.MustCompile(`^[a-zA-Z0-9=-]+$`).MatchString(open.SocketID) || len(open.SocketID) < 20 {
		t.Errorf("socket_id %q is not a long id of [a-zA-Z0-9=-]", open.SocketID)
	}
	if got := open.Headers["x-tag"]; got != "a, b" {
		t.Errorf("repeated header x-tag = %q, want %q", got, "a, b")
	}
	if open.Headers["sec-websocket-version"] != "13" {
		t.Errorf("headers lack lower-cased sec-websocket-version: %v", open.Headers)
	}
	want := map[string]string{"room": "lobby", "user": "ann", "lang": "en"}
	for k, v := range want {
		if open.Parameters[k] != v {
			t.Errorf("parameters[%s] = %q, want %q (all: %v)", k, open.Parameters[k], v, open.Parameters)
		}
	}
	now := time.Now().UnixMilli()
	if ts := int64(open.Timestamp); ts < before || ts > now || float64(ts) != open.Timestamp {
		t.Errorf("timestamp %v is not integer milliseconds between %d and %d", open.Timestamp, before, now)
	}

	c.Send("héllo")
	_, raw = c.Read()
	data := decodeInfo(t, raw)
	if data.Type != "data" || data.Message != "héllo" || data.MessageType != "data-text" || data.SocketID != open.SocketID {
		t.Errorf("text data event: %+v", data)
	}

	bin := []byte{0, 1, 2, 250, 255}
	if err := ws.WriteMessage(websocket.BinaryMessage, bin); err != nil {
		t.Fatal(err)
	}
	_, raw = c.Read()
	data = decodeInfo(t, raw)
	if data.MessageType != "data-binary" || data.Message != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary data event: %+v", data)
	}
}

func TestSendTextTableAndBinaryToTheClient(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/send", `
if websocketInfo.type == "data" then
  websocketInfo.send("plain")
  websocketInfo.send({a = 1, list = {1, 2}})
  websocketInfo.send(websocketInfo.message, "data-binary")
  Websocket.send({socket_id = websocketInfo.socket_id, message = "via module"})
  Websocket.send({socket_id = websocketInfo.socket_id, message = "AAEC", type = "data-binary"})
end`)
	c := g.Dial("/send")
	c.Send(base64.StdEncoding.EncodeToString([]byte("raw bytes")))
	c.Expect("plain")
	if _, got := c.Read(); got != `{"a":1,"list":[1,2]}` {
		t.Errorf("table sent as %q", got)
	}
	typ, got := c.Read()
	if typ != websocket.BinaryMessage || got != "raw bytes" {
		t.Errorf("binary send: type %d %q", typ, got)
	}
	c.Expect("via module")
	typ, got = c.Read()
	if typ != websocket.BinaryMessage || got != "\x00\x01\x02" {
		t.Errorf("Websocket.send binary: type %d %q", typ, got)
	}
}

func TestReturnValueAndResponseMessageAreSent(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/ret", `if websocketInfo.type == "data" then return "echo: " .. websocketInfo.message end`)
	g.Deploy("/resp", `response.message = {got = websocketInfo.message}`)
	c := g.Dial("/ret")
	c.Send("x")
	c.Expect("echo: x")
	r := g.Dial("/resp")
	r.Expect(`{}`) // the open event's message is nil: an empty table, never an array

	r.Send("y")
	r.Expect(`{"got":"y"}`)
}

func TestWebsocketOperationsAcrossSockets(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/ops", `
if websocketInfo.type ~= "data" then return end
local cmd, arg = websocketInfo.message:match("^(%w+) ?(.*)$")
if cmd == "whoami" then
  return websocketInfo.socket_id
elseif cmd == "list" then
  local ids = Websocket.list()
  table.sort(ids)
  return table.concat(ids, ",")
elseif cmd == "send" then
  return to_json(Websocket.send({socket_id = arg, message = "pushed"}) or {ok = true})
elseif cmd == "info" then
  local i = Websocket.info({socket_id = arg})
  if i.error then return to_json(i) end
  return i.socket_id .. " " .. i.route .. " " .. i.type .. " " .. tostring(i.message == nil)
elseif cmd == "close" then
  return to_json(Websocket.close({socket_id = arg}) or {ok = true})
elseif cmd == "closeAll" then
  Websocket.closeAll()
end`)
	a := g.Dial("/ops")
	b := g.Dial("/ops")
	ids := g.SocketIDs(2)

	a.Send("list")
	a.Expect(strings.Join(ids, ","))

	a.Send("whoami")
	_, self := a.Read()
	other := ids[0]
	if self == ids[0] {
		other = ids[1]
	}
	a.Send("info " + other)
	a.Expect(other + " /ops open true")

	a.Send("send " + other)
	a.Expect(`{"ok":true}`)
	b.Expect("pushed")

	a.Send("send nosuchsocket")
	a.Expect(`{"error":"no open websocket with this socket_id","status":404,"type":"NotFoundError"}`)
	a.Send("info nosuchsocket")
	a.Expect(`{"error":"no open websocket with this socket_id","status":404,"type":"NotFoundError"}`)
	a.Send("close nosuchsocket")
	a.Expect(`{"error":"no open websocket with this socket_id","status":404,"type":"NotFoundError"}`)

	a.Send("close " + other)
	a.Expect(`{"ok":true}`)
	if code, _ := b.ExpectClose(); code != 1000 {
		t.Errorf("Websocket.close gave code %d", code)
	}
	lgtesting.Eventually(t, "one socket left", func() bool { return len(g.Hub().List()) == 1 })
	a.Send("closeAll")
	a.ExpectClose()
	lgtesting.Eventually(t, "no socket left", func() bool { return len(g.Hub().List()) == 0 })
}

func TestWebsocketBadArgumentsReturn400(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/bad", `
if websocketInfo.type ~= "open" then return end
local results = {
  Websocket.send("not a table"),
  Websocket.send({message = "no id"}),
  Websocket.send({socket_id = websocketInfo.socket_id, message = {1}}),
  Websocket.send({socket_id = websocketInfo.socket_id, message = "x", type = "data-json"}),
  Websocket.send({socket_id = websocketInfo.socket_id, message = "!!", type = "data-binary"}),
  Websocket.info(),
  Websocket.close({socket_id = 42}),
}
local statuses = {}
for i, r in ipairs(results) do statuses[i] = r.status .. ":" .. r.type end
return table.concat(statuses, " ")`)
	c := g.Dial("/bad")
	want := strings.TrimSpace(strings.Repeat("400:ArgumentError ", 7))
	c.Expect(want)
}

// TestRelayedMessagesArriveIntactWhileTheSenderReadsOn relays every message
// of one socket to another, whose writer sends it while the first socket's
// reader already reads the next message: a message's bytes must not be
// shared with the buffer it was read into, which is reused.
func TestRelayedMessagesArriveIntactWhileTheSenderReadsOn(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/sink", `if websocketInfo.type == "open" then websocketInfo.send(websocketInfo.socket_id) end`)
	g.Deploy("/relay", `
if websocketInfo.type == "data" then
  local ok, err = Websocket.send({socket_id = websocketInfo.parameters.to,
    message = websocketInfo.message, type = websocketInfo.message_type})
  if not ok then websocketInfo.send(to_json(err)) end
end`)
	sink := g.Dial("/sink")
	_, id := sink.Read()
	relay := g.Dial("/relay?to=" + id)

	sizes := []int{1, 100, 511, 512, 513, 4096, 70_000, 3}
	const n = 160
	msgs := make([][]byte, n)
	for i := range msgs {
		m := make([]byte, sizes[i%len(sizes)])
		for j := range m {
			m[j] = 'a' + byte((i+j)%26)
		}
		msgs[i] = m
	}
	go func() {
		for i, m := range msgs {
			typ := websocket.TextMessage
			if i%3 == 0 {
				typ = websocket.BinaryMessage
			}
			if err := relay.Conn.WriteMessage(typ, m); err != nil {
				return
			}
		}
	}()
	for i, want := range msgs {
		typ, got := sink.Read()
		wantType := websocket.TextMessage
		if i%3 == 0 {
			wantType = websocket.BinaryMessage
		}
		if typ != wantType || got != string(want) {
			t.Fatalf("message %d (%d bytes): type %d, %d bytes starting %.20q; want type %d starting %.20q",
				i, len(want), typ, len(got), got, wantType, want)
		}
	}
}
