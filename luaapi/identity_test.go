package luaapi

import (
	"testing"
	"time"
)

// idConn is a connection with an identity: a user, a session name and
// nested claims.
var idConn = NewConn(Conn{ID: "ann-socket", URI: "ws://x/me", Route: "/me", UserID: "ann", SessionName: "phone",
	Auth: &Auth{Scheme: "jwt", Claims: map[string]any{"role": "owner", "groups": []any{"a", "b"}, "org": map[string]any{"id": 7.0}}}})

// TestIdentityIsReadOnlyAndRebuiltAfterRawset has a script try every way
// to change websocketInfo.auth and its claims, then checks that the next
// execution of the same connection finds them as luagate made them, and
// that a connection without an identity then finds none.
func TestIdentityIsReadOnlyAndRebuiltAfterRawset(t *testing.T) {
	t.Parallel()
	vm := NewVM(Options{Sockets: nopSockets{}, Logger: discardLogger})
	defer vm.Close()
	run := func(c *Conn, src string) []string {
		t.Helper()
		peer := &recordingPeer{}
		ev := &Event{Type: EventData, Conn: c, Peer: peer, Message: []byte("m"), Timestamp: time.Now()}
		if err := vm.RunFor(time.Second, compileEndpoint(t, src), ev); err != nil {
			t.Fatal(err)
		}
		return peer.sent
	}
	scribble := `
local a = websocketInfo.auth
local failed = 0
for _, f in ipairs({
  function() a.scheme = "none" end,
  function() a.claims.role = "root" end,
  function() a.claims.groups[3] = "admins" end,
  function() a.claims.org.id = 1 end,
  function() setmetatable(a, nil) end,
}) do
  if not pcall(f) then failed = failed + 1 end
end
rawset(a, "scheme", "none")
rawset(a.claims, "role", "root")
rawset(a.claims.groups, 1, "admins")
rawset(a.claims.org, "id", 1)
websocketInfo.user_id = "mallory"
websocketInfo.session_name = "stolen"
return tostring(failed) .. " " .. tostring(getmetatable(a))`
	if got := run(idConn, scribble); len(got) != 1 || got[0] != "5 false" {
		t.Fatalf("writes into websocketInfo.auth: %q, want all 5 refused and the metatable protected", got)
	}
	look := `local a = websocketInfo.auth
return table.concat({tostring(websocketInfo.user_id), tostring(websocketInfo.session_name), a.scheme,
  a.claims.role, a.claims.groups[1], a.claims.groups[2], tostring(a.claims.org.id)}, " ")`
	if got := run(idConn, look); len(got) != 1 || got[0] != "ann phone jwt owner a b 7" {
		t.Errorf("the next execution found %q", got)
	}
	if got := run(attackerConn, `return tostring(websocketInfo.user_id) .. " " .. tostring(websocketInfo.session_name) .. " " .. tostring(websocketInfo.auth)`); len(got) != 1 || got[0] != "nil nil nil" {
		t.Errorf("a connection without an identity found %q", got)
	}
}
