package luaapi

import (
	"testing"
	"time"
)

// TestPolicyIsReadOnlyAndNothingWrittenIntoItReachesTheNextExecution
// scribbles on websocketInfo.policy by every means a script has, then
// looks for the marks from the next execution on the same state.
func TestPolicyIsReadOnlyAndNothingWrittenIntoItReachesTheNextExecution(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	scribble := compileEndpoint(t, `
local p = websocketInfo.policy
assert(not pcall(function() p.idle_timeout_ms = 1 end))
assert(not pcall(function() p.rate_limit.requests = 1 end))
assert(not pcall(setmetatable, p, nil))
assert(getmetatable(p) == false)
rawset(p, "leak", 1)
rawset(p, "idle_timeout_ms", 1)
rawset(p.rate_limit, "requests", 1)
table.insert(p, "array")
`)
	look := compileEndpoint(t, `
local p = websocketInfo.policy
local r = p.rate_limit
return table.concat({tostring(rawget(p, "leak")), p.idle_timeout_ms, r.requests, r.window_ms, r.burst, r["then"],
  p.max_age_ms, p.max_message_bytes, tostring(p[1]), websocketInfo.route_key, websocketInfo.route_value,
  tostring(websocketInfo.subprotocol)}, " ")
`)
	peer := &recordingPeer{}
	ev := benchEvent()
	ev.Peer = peer
	ev.Policy = &Policy{RateLimit: &RatePolicy{Requests: 3, WindowMS: 2000, Burst: 4, Then: "close"}, IdleTimeoutMS: 90000, MaxMessageBytes: 1024}
	ev.RouteKey, ev.RouteValue, ev.HasRouteValue = "add", "add", true
	for range 3 {
		if err := vm.RunFor(time.Second, scribble, ev); err != nil {
			t.Fatal(err)
		}
		peer.sent = nil
		if err := vm.RunFor(time.Second, look, ev); err != nil {
			t.Fatal(err)
		}
		if want := "nil 90000 3 2000 4 close 0 1024 nil add add nil"; len(peer.sent) != 1 || peer.sent[0] != want {
			t.Fatalf("got %q, want %q", peer.sent, want)
		}
	}
	ev.Policy, ev.RouteKey, ev.HasRouteValue = nil, "", false
	peer.sent = nil
	if err := vm.RunFor(time.Second, compileEndpoint(t, `return tostring(websocketInfo.policy) .. " " .. tostring(websocketInfo.route_key) .. " " .. tostring(websocketInfo.route_value)`), ev); err != nil {
		t.Fatal(err)
	}
	if len(peer.sent) != 1 || peer.sent[0] != "nil nil nil" {
		t.Fatalf("an event without policy or route sees %q", peer.sent)
	}
}

func TestAReplyGoesToReplyInsteadOfTheSocketWhenSet(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	peer := &recordingPeer{}
	ev := benchEvent()
	ev.Peer = peer
	var got string
	ev.Reply = func(msg []byte, _ bool) error {
		got = string(msg)
		return nil
	}
	if err := vm.RunFor(time.Second, compileEndpoint(t, `return "close"`), ev); err != nil {
		t.Fatal(err)
	}
	if got != "close" || len(peer.sent) != 0 {
		t.Fatalf("reply %q, socket got %q", got, peer.sent)
	}
}

// TestRouteFieldsNeverOutliveTheirEvent alternates routed and unrouted
// events on one state, with scripts that set the route fields themselves:
// each event sees only its own.
func TestRouteFieldsNeverOutliveTheirEvent(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	seen := `local seen = tostring(websocketInfo.route_key) .. " " .. tostring(websocketInfo.route_value) .. " " .. tostring(websocketInfo.subprotocol)
`
	// Each program sets the fields only where luagate did, so that the
	// table is kept (setting one that is nil replaces it).
	progs := map[string]*Program{
		"route": compileEndpoint(t, seen+`if websocketInfo.route_key then websocketInfo.route_key, websocketInfo.route_value = "mine", "mine" end return seen`),
		"sub":   compileEndpoint(t, seen+`if websocketInfo.subprotocol then websocketInfo.subprotocol = "mine" end return seen`),
		"new":   compileEndpoint(t, seen+`websocketInfo.route_key, websocketInfo.subprotocol = "mine", "mine" return seen`),
	}
	plain := benchEvent()
	routed := benchEvent()
	routed.RouteKey, routed.RouteValue, routed.HasRouteValue = "add", "v", true
	withSub := benchEvent()
	withSub.Conn = NewConn(Conn{ID: "s", Route: "/r", Subprotocol: "v1"})
	for i, tt := range []struct {
		prog string
		ev   *Event
		want string
	}{
		{"new", plain, "nil nil nil"}, {"route", plain, "nil nil nil"},
		{"route", routed, "add v nil"}, {"route", plain, "nil nil nil"},
		{"route", routed, "add v nil"}, {"route", routed, "add v nil"}, {"route", plain, "nil nil nil"},
		{"sub", withSub, "nil nil v1"}, {"sub", withSub, "nil nil v1"}, {"sub", plain, "nil nil nil"},
		{"new", plain, "nil nil nil"}, {"route", plain, "nil nil nil"},
	} {
		peer := &recordingPeer{}
		tt.ev.Peer = peer
		if err := vm.RunFor(time.Second, progs[tt.prog], tt.ev); err != nil {
			t.Fatal(err)
		}
		if len(peer.sent) != 1 || peer.sent[0] != tt.want {
			t.Fatalf("event %d sees %q, want %q", i, peer.sent, tt.want)
		}
	}
}
