package luaapi

import (
	"context"
	"sync"
	"testing"
	"time"
)

// victimSockets answers Websocket.info with victimConn.
type victimSockets struct{ nopSockets }

func (victimSockets) Info(string) (*Conn, error) { return victimConn, nil }

// TestWebsocketInfoTablesAreEachCallsOwn writes to every table a
// Websocket.info call returns and checks that the next call, in the same
// execution, the next one and another state's at the same time, finds the
// connection's record as it is, and that pairs walks each table.
func TestWebsocketInfoTablesAreEachCallsOwn(t *testing.T) {
	t.Parallel()
	p := compileEndpoint(t, `
local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end
local function check(i)
  assert(i.uri == "ws://x/bank?room=victim-room" and i.route == "/bank" and i.socket_id == "victim" and i.type == "open")
  assert(i.headers.host == "x" and i.headers.cookie == "session=victim-cookie" and i.headers.added == nil)
  assert(i.parameters.room == "victim-room" and i.extra == nil and i.last_activity_at == nil)
  assert(count(i) == 7, "info has " .. count(i) .. " fields")
  assert(count(i.headers) == 3 and count(i.parameters) == 1)
end
local i = Websocket.info({socket_id = "victim"})
check(i)
i.uri, i.extra, i.timestamp = "changed", true, nil
i.headers.host, i.headers.added, i.headers.cookie = "changed", true, nil
i.parameters.room = nil
for k in pairs(i.headers) do i.headers[k] = nil end
assert(count(i.headers) == 0 and count(i) == 7)
local j = Websocket.info({socket_id = "victim"})
assert(i ~= j and i.headers ~= j.headers and i.parameters ~= j.parameters)
check(j)
`)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			vm := NewVM(Options{Sockets: victimSockets{}})
			defer vm.Close()
			for range 3 {
				if err := vm.Run(context.Background(), p, benchEvent()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestWebsocketInfoOfAConnNotMadeByNewConn describes a record a Sockets
// implementation built as a plain struct: its fields, headers included.
func TestWebsocketInfoOfAConnNotMadeByNewConn(t *testing.T) {
	plain := &Conn{ID: "p1", URI: "ws://h/r", Route: "/r", Headers: map[string]string{"host": "h"}}
	vm := NewVM(Options{Sockets: plainSockets{conn: plain}})
	defer vm.Close()
	peer := &recordingPeer{}
	ev := benchEvent()
	ev.Peer = peer
	p := compileEndpoint(t, `local i = Websocket.info({socket_id = "p1"}) return i.socket_id .. " " .. i.route .. " " .. i.headers.host`)
	if err := vm.RunFor(time.Second, p, ev); err != nil {
		t.Fatal(err)
	}
	if len(peer.sent) != 1 || peer.sent[0] != "p1 /r h" {
		t.Fatalf("info of a plain record: %q", peer.sent)
	}
}

type plainSockets struct {
	nopSockets
	conn *Conn
}

func (s plainSockets) Info(string) (*Conn, error) { return s.conn, nil }
