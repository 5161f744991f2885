package runtime

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/luaapi"
)

// TestAGroupSendReachesEveryMemberInOrder sends text and binary messages
// to a group of real sockets, from outside any event and from a member's
// own event (whose reader holds its writer role meanwhile), and checks
// that every client reads every message, once, in the order sent.
func TestAGroupSendReachesEveryMemberInOrder(t *testing.T) {
	t.Parallel()
	const members, sends = 150, 5
	e := benchEngine(t, `if websocketInfo.type == "data" then
  Websocket.send({group = "room", message = "from " .. websocketInfo.message})
end`)
	clients := dialMany(t, e, members)
	joinAll(t, e, "room")
	room := luaapi.Target{By: luaapi.ByGroup, Key: "room"}
	var want []string
	for i := range sends {
		msg := fmt.Sprintf("message %d", i)
		if n := e.hub.SendTo(room, []byte(msg), i%2 == 1); n != members {
			t.Fatalf("send %d reached %d sockets, want %d", i, n, members)
		}
		want = append(want, msg)
	}
	if err := clients[0].WriteMessage(websocket.TextMessage, []byte("a member")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "from a member")
	for c, ws := range clients {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for i, w := range want {
			typ, got, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("client %d, message %d: %v", c, i, err)
			}
			wantTyp := websocket.TextMessage
			if i < sends && i%2 == 1 {
				wantTyp = websocket.BinaryMessage
			}
			if string(got) != w || typ != wantTyp {
				t.Fatalf("client %d read %q (type %d) as message %d, want %q (type %d)", c, got, typ, i, w, wantTyp)
			}
		}
	}
}

// TestARoomsWritersAreKeptForTheNextSend checks that the writers a group
// send starts for its idle members run on the engine's workers, which
// stay for the next send rather than end with their write.
func TestARoomsWritersAreKeptForTheNextSend(t *testing.T) {
	t.Parallel()
	const members = 20
	e := benchEngine(t, `if websocketInfo.type == "open" then return end`)
	clients := dialMany(t, e, members)
	joinAll(t, e, "room")
	room := luaapi.Target{By: luaapi.ByGroup, Key: "room"}
	if n := e.hub.SendTo(room, []byte("to the room"), false); n != members {
		t.Fatalf("the send reached %d sockets, want %d", n, members)
	}
	for c, ws := range clients {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != "to the room" {
			t.Fatalf("client %d read %q, %v", c, got, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.workers.Idle() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no worker kept after a room's writers wrote")
		}
		time.Sleep(time.Millisecond)
	}
}
