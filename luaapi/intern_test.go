package luaapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/scripts"
)

// TestScriptConstantsShareTheFieldNames checks what scripts' interning of
// constants relies on: that a compiled script's names of websocketInfo's
// fields, and of the values it compares them with, share their storage
// with the strings luaapi sets, so that the script's reads of them compare
// pointers rather than bytes. The field names are those a real execution
// left in websocketInfo, every optional one set, so that a field added to
// luaapi and not to scripts' list fails here; so does a field of an HTTP
// endpoint's request or response.
func TestScriptConstantsShareTheFieldNames(t *testing.T) {
	conn := NewConn(Conn{ID: "s1", URI: "ws://127.0.0.1/a", Route: "/a", ConnectedAt: time.Now(),
		Subprotocol: "chat", UserID: "ann", SessionName: "phone", Auth: &Auth{Scheme: "apikey", KeyID: "k1", KeyName: "ci"}})
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	p := compileEndpoint(t, `local _ = websocketInfo.uri`) // fills the deferred fields
	fields := map[string]string{}
	for _, ev := range []*Event{
		{Type: EventOpen, Conn: conn, Peer: nopPeer{}, Timestamp: time.Now(), Policy: &Policy{}},
		{Type: EventData, Conn: conn, Peer: nopPeer{}, Message: []byte("m"), Timestamp: time.Now(), Policy: &Policy{},
			RouteKey: "k", RouteValue: "v", HasRouteValue: true, Direction: DirectionUp},
		{Type: EventClose, Conn: conn, Peer: nopPeer{}, Timestamp: time.Now(), CloseCode: 1000, Groups: []string{"g"}, Policy: &Policy{}},
	} {
		if err := vm.Run(context.Background(), p, ev); err != nil {
			t.Fatal(err)
		}
		vm.tables.info.ForEach(func(k, _ lua.LValue) {
			if s, ok := k.(lua.LString); ok {
				fields[string(s)] = string(s)
			}
		})
	}
	if len(fields) < len(infoKeys)+8 {
		t.Fatalf("websocketInfo had %d fields, want every optional one set as well: %v", len(fields), fields)
	}
	names := []string{EventOpen, EventData, EventClose, MessageText, MessageBinary, DirectionUp, DirectionDown}
	// An HTTP execution's request and response tables are emptied once it
	// ends, so their names are taken from the lists that emptying uses,
	// which TestAnHTTPExecutionLeavesNothingInItsTables holds complete.
	names = append(names, requestKeys[:]...)
	names = append(names, responseKeys[:]...)
	for _, f := range fields {
		names = append(names, f)
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	proto, err := scripts.CompileChunk("names.lua", "return function() return {"+strings.Join(quoted, ", ")+"} end")
	if err != nil {
		t.Fatal(err)
	}
	constants := map[string]string{}
	for _, c := range proto.FunctionPrototypes[0].Constants {
		if s, ok := c.(lua.LString); ok {
			constants[string(s)] = string(s)
		}
	}
	for _, n := range names {
		c, ok := constants[n]
		switch {
		case !ok:
			t.Errorf("%q is not among the script's constants", n)
		case unsafe.StringData(c) != unsafe.StringData(n):
			t.Errorf("the script's %q does not share luaapi's storage", n)
		}
	}
}
