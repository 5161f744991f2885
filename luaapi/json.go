package luaapi

import (
	"fmt"

	luajson "github.com/layeh/gopher-json"
	lua "github.com/yuin/gopher-lua"
)

// registerJSON adds to_json and from_json, which return (value, err) as on
// the original platform, and gopher-json's json module, whose functions
// raise.
func (vm *VM) registerJSON(base *lua.LTable) {
	L := vm.L
	base.RawSetString("to_json", L.NewFunction(toJSON))
	base.RawSetString("from_json", L.NewFunction(fromJSON))
	L.Push(L.NewFunction(luajson.Loader))
	L.Call(0, 1)
	base.RawSetString("json", L.Get(-1))
	L.Pop(1)
}

func encodeJSON(v lua.LValue) ([]byte, error) {
	b, err := luajson.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("to_json: %w", err)
	}
	return b, nil
}

// to_json(value) -> string, err
func toJSON(L *lua.LState) int {
	b, err := encodeJSON(L.CheckAny(1))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LString(b))
	L.Push(lua.LNil)
	return 2
}

// from_json(string) -> value, err
func fromJSON(L *lua.LState) int {
	v, err := luajson.Decode(L, []byte(L.CheckString(1)))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("from_json: " + err.Error()))
		return 2
	}
	L.Push(v)
	L.Push(lua.LNil)
	return 2
}
