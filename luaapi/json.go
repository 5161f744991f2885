package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// registerJSON adds to_json and from_json, which return (value, err) as on
// the original platform, and the json module, whose encode and decode
// return the value, or nil and the error, as gopher-json's did.
func (vm *VM) registerJSON(base *lua.LTable) {
	L := vm.L
	base.RawSetString("to_json", L.NewFunction(toJSON))
	base.RawSetString("from_json", L.NewFunction(fromJSON))
	json := L.CreateTable(0, 2)
	json.RawSetString("encode", L.NewFunction(jsonEncode))
	json.RawSetString("decode", L.NewFunction(jsonDecode))
	base.RawSetString("json", json)
}

// to_json(value) -> string, err
func toJSON(L *lua.LState) int {
	b, err := encodeJSON(L.CheckAny(1))
	return pushJSON(L, "", lua.LString(b), err, true)
}

// from_json(string) -> value, err
func fromJSON(L *lua.LState) int {
	v, err := decodeJSON(L, L.CheckString(1))
	return pushJSON(L, "from_json: ", v, err, true)
}

// json.encode(value) -> string | nil, err
func jsonEncode(L *lua.LState) int {
	b, err := appendJSON(nil, L.CheckAny(1))
	return pushJSON(L, "json.encode: ", lua.LString(b), err, false)
}

// json.decode(string) -> value | nil, err
func jsonDecode(L *lua.LState) int {
	v, err := decodeJSON(L, L.CheckString(1))
	return pushJSON(L, "json.decode: ", v, err, false)
}

// pushJSON returns a JSON function's result to the script: nil and the
// error after prefix, or the value, followed by nil if pair is set.
func pushJSON(L *lua.LState, prefix string, v lua.LValue, err error, pair bool) int {
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(prefix + err.Error()))
		return 2
	}
	L.Push(v)
	if !pair {
		return 1
	}
	L.Push(lua.LNil)
	return 2
}
