package luaapi

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// targetSockets records the targets scripts name.
type targetSockets struct {
	nopSockets
	mu    sync.Mutex
	asked []string
}

func (s *targetSockets) note(op string, t Target) {
	s.mu.Lock()
	s.asked = append(s.asked, op+" "+string("-usgr"[t.By])+" "+t.Key)
	s.mu.Unlock()
}

func (s *targetSockets) SendTo(t Target, _ []byte, _ bool) int { s.note("send", t); return 2 }
func (s *targetSockets) CloseTo(t Target) int                  { s.note("close", t); return 1 }
func (s *targetSockets) ListOf(t Target) []string              { s.note("list", t); return []string{"x"} }

func TestWebsocketOperationsNameExactlyOneTarget(t *testing.T) {
	t.Parallel()
	sockets := &targetSockets{}
	vm := NewVM(Options{Sockets: sockets, Logger: discardLogger})
	defer vm.Close()
	peer := &recordingPeer{}
	ev := &Event{Type: EventData, Conn: idConn, Peer: peer, Message: []byte("m"), Timestamp: time.Now()}
	src := `
local out = {}
local function add(v)
  if type(v) == "table" and v.status then v = v.status .. " " .. v.error end
  if type(v) == "table" then v = #v end
  table.insert(out, tostring(v))
end
add(Websocket.send({user_id = "ann", message = "m"}))
add(Websocket.send({session_name = "phone", message = "m"}))
add(Websocket.send({group = "red", message = "m"}))
add(Websocket.close({user_id = "ann"}))
add(Websocket.list({route = "/me"}))
add(Websocket.members({group = "red"}))
add(Websocket.send({user_id = "ann", socket_id = "s", message = "m"}))
add(Websocket.send({message = "m"}))
add(Websocket.send({user_id = 7, message = "m"}))
add(Websocket.list({group = "red"}))
add(Websocket.send({group = string.rep("g", 257), message = "m"}))
add(Websocket.presence({group = "red", user_id = ""}))
return table.concat(out, "\n")
`
	if err := vm.RunFor(time.Second, compileEndpoint(t, src), ev); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(peer.sent[0], "\n")
	want := []string{"2", "2", "2", "1", "1", "1",
		"400 bad argument: Websocket.send takes exactly one of socket_id, user_id, session_name, group, got 2",
		"400 bad argument: Websocket.send takes exactly one of socket_id, user_id, session_name, group, got 0",
		"400 bad argument: Websocket.send: user_id must be a non-empty string",
		"400 bad argument: Websocket.list takes one of user_id, session_name, route, not group",
		"400 bad argument: Websocket.send: group is 257 bytes, over the limit of 256",
		"400 bad argument: Websocket.presence: user_id must be a non-empty string",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if asked := strings.Join(sockets.asked, ", "); asked != "send u ann, send s phone, send g red, close u ann, list r /me, list g red" {
		t.Fatalf("asked %s", asked)
	}
}
