package luaapi

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/scripts"
)

// TestScriptConstantsShareTheFieldNames checks what scripts' interning of
// constants relies on: that a compiled script's names of websocketInfo's
// fields, and of the values it compares them with, share their storage
// with the strings luaapi sets, so that the script's reads of them compare
// pointers rather than bytes.
func TestScriptConstantsShareTheFieldNames(t *testing.T) {
	names := append(infoKeys[:], "route_key", "route_value", "subprotocol", "user_id", "session_name",
		"auth", "groups", "direction", EventOpen, EventData, EventClose, MessageText, MessageBinary,
		DirectionUp, DirectionDown)
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
