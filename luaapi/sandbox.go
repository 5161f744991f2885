package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// removedBase are the base functions a script must not have: they load code
// from outside the solution, reach the environment of other functions, or
// exist only for debugging gopher-lua itself.
var removedBase = []string{
	"dofile", "loadfile", "load", "loadstring",
	"getfenv", "setfenv", "module", "require", "newproxy", "_printregs",
	"_GOPHER_LUA_VERSION",
}

// allowedOS are the os functions that only read the clock.
var allowedOS = []string{"time", "clock", "date", "difftime"}

// openSandbox loads the allowed libraries into L's globals, which become the
// read-only base every execution reads through. Each library table is put
// behind a read-only proxy registered in vm.proxies, so that a script cannot
// redefine string.upper for the executions after it.
func (vm *VM) openSandbox() {
	L := vm.L
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.OsLibName, lua.OpenOs},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	base := L.G.Global
	for _, name := range removedBase {
		base.RawSetString(name, lua.LNil)
	}
	base.RawSetString("package", lua.LNil)
	base.RawSetString("_G", lua.LNil)
	boundBuiltins(L, base)

	osFull := base.RawGetString("os").(*lua.LTable)
	osLimited := L.CreateTable(0, len(allowedOS))
	for _, name := range allowedOS {
		osLimited.RawSetString(name, osFull.RawGetString(name))
	}
	osLimited.RawSetString("getenv", L.NewFunction(vm.getenv))
	base.RawSetString("os", osLimited)

	vm.wrapRawWriters(base)
	vm.guardBase(base)
	string_ := base.RawGetString("string").(*lua.LTable)
	// gopher-lua makes the string library the strings' metatable too, with
	// __index pointing at itself: ("").__index would be the raw, writable
	// library. It gets a metatable of its own below.
	string_.RawSetString("__index", lua.LNil)
	string_.RawSetString("dump", lua.LNil)
	boundStringLib(L, string_)
	vm.limitCoroutines(base.RawGetString("coroutine").(*lua.LTable))

	vm.registerModules(base)
	vm.registerPlatform(base)

	for _, name := range []string{"string", "table", "math", "os", "coroutine", "Websocket", "json", "bench", "Keystore", "Push", "Files"} {
		if t, ok := base.RawGetString(name).(*lua.LTable); ok {
			base.RawSetString(name, vm.readOnly(name, t))
		}
	}
	// Strings index the read-only proxy, as the global string does, so
	// ("x"):upper() and string.upper are the same function and neither
	// leads to the library table itself.
	vm.stringMeta = L.CreateTable(0, 2)
	vm.stringMeta.RawSetString("__index", base.RawGetString("string"))
	vm.stringMeta.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(lua.LString(""), vm.stringMeta)
	vm.base = base
	newIndex := L.NewFunction(vm.newIndex)
	vm.envMeta = L.CreateTable(0, 3)
	vm.envMeta.RawSetString("__index", base)
	vm.envMeta.RawSetString("__newindex", newIndex)
	vm.envMeta.RawSetString("__metatable", lua.LFalse)
	vm.reusedMeta = L.CreateTable(0, 2)
	vm.reusedMeta.RawSetString("__newindex", newIndex)
	vm.reusedMeta.RawSetString("__metatable", lua.LFalse)
}

// wrapRawWriters replaces the functions that write into a table without
// its metamethods with wrappers that tell the VM (see touched).
func (vm *VM) wrapRawWriters(base *lua.LTable) {
	arg2 := func(L *lua.LState) lua.LValue { return L.Get(2) }
	array := func(*lua.LState) lua.LValue { return lua.LNumber(1) }
	base.RawSetString("rawset", vm.rawWriter(base.RawGetString("rawset").(*lua.LFunction), arg2))
	table := base.RawGetString("table").(*lua.LTable)
	for _, name := range []string{"insert", "remove"} {
		table.RawSetString(name, vm.rawWriter(table.RawGetString(name).(*lua.LFunction), array))
	}
}

// guardBase replaces the base functions that would reach state shared by
// every execution. gopher-lua's setmetatable accepts any value and keeps
// the metatable of a number, boolean, function or thread in the state,
// for every value of that type and every later execution: it takes
// tables only here, as in Lua 5.1. gopher-lua's collectgarbage forces a
// full collection of the whole process's heap, which a script calling it
// in a loop made every other socket wait for; Go collects on its own, and
// here collectgarbage does nothing and answers 0.
func (vm *VM) guardBase(base *lua.LTable) {
	L := vm.L
	setmetatable := base.RawGetString("setmetatable").(*lua.LFunction).GFunction
	base.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1)
		return setmetatable(L)
	}))
	base.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(0))
		return 1
	}))
}

// extensible are the libraries a script may add functions to or replace
// functions of, as platform modules do (function table.contains(t, v)),
// for its own execution only.
var extensible = map[string]bool{"string": true, "table": true, "math": true, "os": true}

// readOnly returns a proxy that reads through to t. For an extensible
// library, an assignment sets the key on the proxy itself, where it
// shadows the library for the rest of the execution; for the others it
// is refused. rawset and table.insert can write into any proxy too, so
// scrub empties every proxy after an execution that wrote into one.
func (vm *VM) readOnly(name string, t *lua.LTable) *lua.LTable {
	L := vm.L
	proxy := L.NewTable()
	mt := L.CreateTable(0, 3)
	mt.RawSetString("__index", t)
	newIndex := func(L *lua.LState) int {
		L.RaiseError("%s is read-only: cannot set %s.%s", name, name, L.Get(2).String())
		return 0
	}
	if extensible[name] {
		newIndex = func(L *lua.LState) int {
			vm.rawWritten = true
			L.RawSet(L.CheckTable(1), L.Get(2), L.Get(3))
			return 0
		}
	}
	mt.RawSetString("__newindex", L.NewFunction(newIndex))
	mt.RawSetString("__metatable", lua.LFalse)
	proxy.Metatable = mt
	vm.proxies = append(vm.proxies, proxy)
	return proxy
}

// scrub undoes whatever an execution wrote into the library proxies, by
// assignment to an extensible library or with raw access, so the next
// execution sees the libraries as they were.
func (vm *VM) scrub() {
	if !vm.rawWritten {
		return
	}
	vm.rawWritten = false
	for _, p := range vm.proxies {
		clearTable(p)
	}
	for _, p := range vm.services {
		clearTable(p)
	}
}

// clearTable removes every key of p.
func clearTable(p *lua.LTable) {
	if k, _ := p.Next(lua.LNil); k == lua.LNil {
		return
	}
	var keys []lua.LValue
	p.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		p.RawSet(k, lua.LNil)
	}
}
