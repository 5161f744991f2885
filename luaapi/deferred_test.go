package luaapi

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAScriptThatReadsOnlyTheMessageFillsNoConnectionField runs an echo
// on connections taking turns on one state: websocketInfo must not be
// filled with their fields, which is what makes an echo cheap.
func TestAScriptThatReadsOnlyTheMessageFillsNoConnectionField(t *testing.T) {
	t.Parallel()
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	first := NewConn(Conn{ID: "first", URI: "ws://x/a", Route: "/a"})
	if err := vm.RunFor(time.Second, compileEndpoint(t, `return websocketInfo.socket_id`), &Event{Type: EventData, Conn: first, Peer: nopPeer{}}); err != nil {
		t.Fatal(err)
	}
	echo := compileEndpoint(t, `if websocketInfo.type == "data" then websocketInfo.send(websocketInfo.message, websocketInfo.message_type) end`)
	for i := range 3 {
		c := NewConn(Conn{ID: fmt.Sprint("echo-", i), URI: "ws://x/a", Route: "/a"})
		peer := &recordingPeer{}
		if err := vm.RunFor(time.Second, echo, &Event{Type: EventData, Conn: c, Peer: peer, Message: []byte("hi")}); err != nil {
			t.Fatal(err)
		}
		if len(peer.sent) != 1 || peer.sent[0] != "hi" {
			t.Fatalf("the echo sent %q", peer.sent)
		}
	}
	if vm.tables.conn != first {
		t.Errorf("websocketInfo was filled with the fields of %v", vm.tables.conn.ID)
	}
}

// TestDeferredFieldsAreTheirOwnEventsHoweverReached alternates two
// connections on one state, each execution reaching websocketInfo's
// connection fields in another way, after executions that reached none:
// each must find its own connection's fields and no other's.
func TestDeferredFieldsAreTheirOwnEventsHoweverReached(t *testing.T) {
	t.Parallel()
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	conns := []*Conn{
		NewConn(Conn{ID: "ann-id", URI: "ws://x/a?user=ann", Route: "/a", Subprotocol: "chat",
			Headers: map[string]string{"host": "ann-host"}, Parameters: map[string]string{"user": "ann"}}),
		NewConn(Conn{ID: "bob-id", URI: "ws://x/b?user=bob", Route: "/b", UserID: "bob",
			Headers: map[string]string{"host": "bob-host"}, Parameters: map[string]string{"user": "bob"}}),
	}
	// Each reader returns the socket_id, uri, headers.host, parameters.user
	// subprotocol and user_id it found, joined by spaces.
	const fields = ` return table.concat({tostring(f.socket_id), tostring(f.uri), tostring(f.headers.host),
  tostring(f.parameters.user), tostring(f.subprotocol), tostring(f.user_id)}, " ")`
	readers := map[string]string{
		"fields":     `local f = websocketInfo` + fields,
		"rawget":     `local f = {socket_id = rawget(websocketInfo, "socket_id"), uri = rawget(websocketInfo, "uri"), headers = rawget(websocketInfo, "headers"), parameters = rawget(websocketInfo, "parameters"), subprotocol = rawget(websocketInfo, "subprotocol"), user_id = rawget(websocketInfo, "user_id")}` + fields,
		"pairs":      `local f = {} for k, v in pairs(websocketInfo) do f[k] = v end` + fields,
		"next":       `local f = {} local k, v = next(websocketInfo) while k do f[k] = v k, v = next(websocketInfo, k) end` + fields,
		"a new key":  `websocketInfo.mine = 1 local f = websocketInfo` + fields,
		"assignment": `websocketInfo.uri = websocketInfo.uri .. "" local f = websocketInfo` + fields,
	}
	want := []string{"ann-id ws://x/a?user=ann ann-host ann chat nil", "bob-id ws://x/b?user=bob bob-host bob nil bob"}
	echo := compileEndpoint(t, `return websocketInfo.message`)
	for name, src := range readers {
		p := compileEndpoint(t, src)
		for i := range 6 {
			c := conns[i%2]
			if err := vm.RunFor(time.Second, echo, &Event{Type: EventData, Conn: conns[(i+1)%2], Peer: nopPeer{}, Message: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			peer := &recordingPeer{}
			if err := vm.RunFor(time.Second, p, &Event{Type: EventData, Conn: c, Peer: peer, Message: []byte("x")}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := strings.Join(peer.sent, "|"); got != want[i%2] {
				t.Errorf("%s, execution %d: found %q, want %q", name, i, got, want[i%2])
			}
		}
	}
}
