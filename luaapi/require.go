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
	L.Push(vm.runModule(L, name, proto))
	return 1
}

// runModule runs the module name in the current execution's environment
// and remembers its value for require.
func (vm *VM) runModule(L *lua.LState, name string, proto *lua.FunctionProto) lua.LValue {
	x := vm.cur
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
	return v
}

// loadGlobals runs the global modules before an execution's chunk. They
// run per execution, like the chunk itself, so that nothing one execution
// makes of them (a module's local table, a global it sets) is there for
// the next; BenchmarkGlobalModules measures what that costs.
func (vm *VM) loadGlobals(L *lua.LState) error {
	L.Push(vm.globalsFn)
	return L.PCall(0, 0, nil)
}

// runGlobals is the Go function loadGlobals calls, made once per VM.
func (vm *VM) runGlobals(L *lua.LState) int {
	for _, g := range vm.cur.prog.Globals {
		if _, done := vm.cur.modules[g.Name]; !done {
			vm.runModule(L, g.Name, g.Proto)
		}
	}
	return 0
}
