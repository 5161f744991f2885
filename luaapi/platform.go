package luaapi

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

// unprovidedServices are the platform's script services luagate does not
// run. Each is a global whose every field raises an error naming the
// service, so a script ported as it is fails with a reason rather than
// "attempt to index a nil value". Keystore and Websocket are provided.
var unprovidedServices = []string{
	"Asset", "Config", "Content", "Device2", "Email", "Http", "Interface",
	"Spms", "Timeseries", "Tsdb", "Twilio", "User", "Webservice",
}

// registerPlatform puts the platform's script functions into the base:
// bench, os.getenv (in openSandbox) and the services luagate does not
// provide.
func (vm *VM) registerPlatform(base *lua.LTable) {
	L := vm.L
	bench := L.CreateTable(0, 1)
	bench.RawSetString("measure", L.NewFunction(benchMeasure))
	base.RawSetString("bench", bench)
	for _, name := range unprovidedServices {
		base.RawSetString(name, vm.unprovided(name))
	}
}

// unprovided is the global standing for the service name: an empty table
// whose protected metatable raises on every read and write. It is kept in
// vm.services so scrub empties it after a rawset.
func (vm *VM) unprovided(name string) *lua.LTable {
	L := vm.L
	stub := L.NewTable()
	mt := L.CreateTable(0, 3)
	refuse := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s.%s: luagate does not provide the platform service %s", name, L.Get(2).String(), name)
		return 0
	})
	mt.RawSetString("__index", refuse)
	mt.RawSetString("__newindex", refuse)
	mt.RawSetString("__metatable", lua.LFalse)
	stub.Metatable = mt
	vm.services = append(vm.services, stub)
	return stub
}

// benchMeasure is bench.measure(fn, ...): it calls fn with the other
// arguments and returns how long the call took, in milliseconds (with a
// fraction), followed by whatever fn returned. An error in fn propagates.
func benchMeasure(L *lua.LState) int {
	L.CheckFunction(1)
	start := time.Now()
	// The function and its arguments are already in place on the stack.
	L.Call(L.GetTop()-1, lua.MultRet)
	ms := float64(time.Since(start).Nanoseconds()) / 1e6
	nret := L.GetTop()
	L.Insert(lua.LNumber(ms), 1)
	return nret + 1
}

// getenv is os.getenv(name): the value the solution's environment gives
// name, or nil.
func (vm *VM) getenv(L *lua.LState) int {
	name := L.CheckString(1)
	if x := vm.cur; x != nil && x.prog.Env != nil {
		if v, ok := x.prog.Env[name]; ok {
			L.Push(lua.LString(v))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}
