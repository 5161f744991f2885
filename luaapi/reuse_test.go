package luaapi

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// recordingPeer keeps what a script sends to its own socket.
type recordingPeer struct{ sent []string }

func (p *recordingPeer) Send(msg []byte, _ bool) error {
	p.sent = append(p.sent, string(msg))
	return nil
}
func (p *recordingPeer) Close() error { return nil }

// TestNothingAnExecutionLeavesReachesTheNext runs a script that scribbles
// on every table it is given, by every means, then a script on the same
// state that looks for the marks: the reused tables must come back clean.
func TestNothingAnExecutionLeavesReachesTheNext(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	scribble := compileEndpoint(t, `
rawset(websocketInfo, "leak", "info")
websocketInfo.other = "info"
websocketInfo.message = "changed"
websocketInfo[1] = "array"
assert(not pcall(setmetatable, websocketInfo, {__index = function() return "meta" end}))
assert(not pcall(setmetatable, websocketInfo.headers, nil))
rawset(websocketInfo.headers, "leak", "headers")
websocketInfo.headers.other = "headers"
table.insert(websocketInfo.parameters, "array")
websocketInfo.parameters.room = "changed"
rawset(response, "leak", "response")
table.insert(response, "array")
response.message = nil
rawset(_G, "leak", "global")
other = "global"
`)
	look := compileEndpoint(t, `
local found = {}
for k, v in pairs(websocketInfo) do
  if k == "leak" or k == "other" or k == 1 then found[#found+1] = "info." .. tostring(k) end
end
if getmetatable(websocketInfo) ~= false or websocketInfo.anything ~= nil then found[#found+1] = "info metatable" end
for k in pairs(websocketInfo.headers) do
  if k == "leak" or k == "other" then found[#found+1] = "headers." .. k end
end
for k, v in pairs(websocketInfo.parameters) do
  if k == 1 then found[#found+1] = "parameters[1]" end
end
if websocketInfo.parameters.room ~= "lobby" then found[#found+1] = "parameters.room" end
if websocketInfo.message ~= "hello" then found[#found+1] = "message" end
for k in pairs(response) do found[#found+1] = "response." .. k end
if rawget(_G, "leak") ~= nil or other ~= nil then found[#found+1] = "global" end
return table.concat(found, " ")
`)
	peer := &recordingPeer{}
	ev := benchEvent()
	ev.Peer = peer
	for range 3 {
		if err := vm.RunFor(time.Second, scribble, ev); err != nil {
			t.Fatal(err)
		}
		peer.sent = nil
		if err := vm.RunFor(time.Second, look, ev); err != nil {
			t.Fatal(err)
		}
		if len(peer.sent) != 1 || peer.sent[0] != "" {
			t.Fatalf("left behind by the last execution: %s", peer.sent)
		}
	}
}

// TestHeadersOfEachConnectionAreItsOwn runs events of connections with
// different headers on one state: each sees exactly its own.
func TestHeadersOfEachConnectionAreItsOwn(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	p := compileEndpoint(t, `
local names = {}
for k, v in pairs(websocketInfo.headers) do names[#names+1] = k .. "=" .. v end
table.sort(names)
return table.concat(names, ",")
`)
	for i := range 128 {
		h := map[string]string{"host": "h", "x-unique-" + strings.Repeat("a", i): "v"}
		if i%2 == 0 {
			h = map[string]string{"host": "h"}
		}
		c := NewConn(Conn{ID: "id", Route: "/r", Headers: h})
		peer := &recordingPeer{}
		if err := vm.RunFor(time.Second, p, &Event{Type: EventOpen, Conn: c, Peer: peer}); err != nil {
			t.Fatal(err)
		}
		want := "host=h"
		if i%2 != 0 {
			want += ",x-unique-" + strings.Repeat("a", i) + "=v"
		}
		if len(peer.sent) != 1 || peer.sent[0] != want {
			t.Fatalf("connection %d saw headers %q, want %q", i, peer.sent, want)
		}
	}
}

// TestTimeoutStopsOnlyTheExecutionThatRanTooLong checks the reused
// deadline: a script past its timeout is stopped, and the next execution
// on the same state runs normally, coroutines included.
func TestTimeoutStopsOnlyTheExecutionThatRanTooLong(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	loop := compileEndpoint(t, `while true do end`)
	quick := compileEndpoint(t, `
local co = coroutine.create(function() coroutine.yield(1) end)
coroutine.resume(co)
return "done"`)
	for range 3 {
		err := vm.RunFor(20*time.Millisecond, loop, benchEvent())
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("endless loop: got %v, want a timeout", err)
		}
		peer := &recordingPeer{}
		ev := benchEvent()
		ev.Peer = peer
		if err := vm.RunFor(time.Second, quick, ev); err != nil {
			t.Fatalf("execution after a timeout: %v", err)
		}
		if len(peer.sent) != 1 || peer.sent[0] != "done" {
			t.Fatalf("execution after a timeout sent %q", peer.sent)
		}
	}
}

// TestProgramsTakingTurnsOnOneStateEachRunTheirOwnCode alternates two
// programs on one state, which reuses the function of the last program.
func TestProgramsTakingTurnsOnOneStateEachRunTheirOwnCode(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	a, b := compileEndpoint(t, `return "a"`), compileEndpoint(t, `return "b"`)
	for i, p := range []*Program{a, a, b, a, b, b, a} {
		peer := &recordingPeer{}
		ev := benchEvent()
		ev.Peer = peer
		if err := vm.RunFor(time.Second, p, ev); err != nil {
			t.Fatal(err)
		}
		want := "a"
		if p == b {
			want = "b"
		}
		if len(peer.sent) != 1 || peer.sent[0] != want {
			t.Fatalf("run %d sent %q, want %q", i, peer.sent, want)
		}
	}
}
