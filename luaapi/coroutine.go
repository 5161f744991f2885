package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// MaxCoroutines is how many coroutines one execution may create, with
// coroutine.create and coroutine.wrap together. Each is a Lua state of
// its own, of 22 KiB before it runs anything, which the memory watchdog
// sees only once a collection counts it: the cap bounds what coroutines
// can hold before then to about 21 MiB.
const MaxCoroutines = 1000

// coroutineRegistrySize is the value stack a coroutine starts with. gopher-
// lua gives a coroutine the options of the state that creates it, whose
// value stack is sized for the main thread: 82 KiB per coroutine, where
// this stack, which grows on demand up to the same maximum, makes 22 KiB.
// The call stack stays a fixed array: gopher-lua's growing one returns
// its segments to a pool shared by every state without clearing them, so
// their stale frames would keep an execution's functions alive after it.
const coroutineRegistrySize = 256

// limitCoroutines makes the coroutine library's constructors count the
// coroutines of the execution running, and sizes the states they create.
func (vm *VM) limitCoroutines(co *lua.LTable) {
	L := vm.L
	// NewThread copies the options into each coroutine's state; the main
	// state has already been built with its own.
	L.Options.RegistrySize = coroutineRegistrySize
	for _, name := range []string{"create", "wrap"} {
		create := co.RawGetString(name).(*lua.LFunction).GFunction
		co.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if x := vm.cur; x != nil {
				if x.coroutines >= MaxCoroutines {
					L.RaiseError("coroutine.%s: an execution may create at most %d coroutines (MaxCoroutines)", name, MaxCoroutines)
				}
				x.coroutines++
			}
			return create(L)
		}))
	}
}
