package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// loading marks a module whose chunk is running, to catch require cycles.
var loading = lua.LString("\x00loading")

// require(name) runs a stored shared module once per execution and returns
// its value. Modules are not cached across executions: a module's state
// would otherwise leak from one socket's event into another's.
func (vm *VM) require(L *lua.LState) int {
	name := L.CheckString(1)
	x := vm.cur
	if v, ok := x.modules[name]; ok {
		if v == loading {
			L.RaiseError("module '%s' is required recursively", name)
		}
		L.Push(v)
		return 1
	}
	var proto *lua.FunctionProto
	var ok bool
	if x.prog.Modules != nil {
		proto, ok = x.prog.Modules(name)
	}
	if !ok {
		L.RaiseError("module '%s' not found", name)
	}
	if x.modules == nil {
		x.modules = map[string]lua.LValue{}
	}
	x.modules[name] = loading
	fn := L.NewFunctionFromProto(proto)
	fn.Env = x.env
	L.Push(fn)
	L.Push(lua.LString(name))
	L.Call(1, 1)
	v := L.Get(-1)
	L.Pop(1)
	if v == lua.LNil {
		v = lua.LTrue
	}
	x.modules[name] = v
	L.Push(v)
	return 1
}
