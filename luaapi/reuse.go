package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// A VM hands every execution the same environment, websocketInfo, headers,
// parameters and response tables, refilled, because building them anew was
// most of what an event cost. No execution may see what an earlier one
// left, nor keep anything alive after it: when an execution ends, release
// puts back what it assigned to the keys luagate sets, and a table it may
// have given other keys is dropped instead, so that the next execution
// gets a new one.
//
// The VM learns of new keys without walking the tables after each
// execution, which cost more than the script of a simple event: a key can
// only be added by an assignment, which for a key the table lacks calls
// the __newindex of the table's metatable, or by rawset, table.insert or
// table.remove. The metatable's __newindex and wrappers around those three
// functions call touched. The metatable is protected (__metatable), so a
// script can neither remove nor change it.

// touched tells the VM that the current execution set key on t past the
// reused tables' metatable, or may have. A reused table t is dropped unless
// key is one that refilling t sets anyway.
func (vm *VM) touched(t *lua.LTable, key lua.LValue) {
	if vm.http.touched(t, key) {
		return
	}
	k, isString := key.(lua.LString)
	switch t {
	case vm.env:
		if !isString || k != "_G" {
			vm.env = nil
		}
	case vm.response:
		if !isString || k != "message" {
			vm.response = nil
		}
	case vm.tables.info:
		if !isString || !infoKey(string(k)) {
			// The dropped table stays the script's for this execution,
			// so it gets its deferred fields now, while they are this
			// execution's.
			t.Resolve()
			vm.tables.info = nil
		}
	}
}

// newIndex is the __newindex of the reused tables: it sets the key as a
// plain assignment would, after telling touched.
func (vm *VM) newIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	key := L.Get(2)
	vm.touched(t, key)
	L.RawSet(t, key, L.Get(3))
	return 0
}

// rawWriter wraps a library function that writes into the table it is
// given as its first argument without metamethods.
func (vm *VM) rawWriter(f *lua.LFunction, key func(L *lua.LState) lua.LValue) *lua.LFunction {
	return vm.L.NewFunction(func(L *lua.LState) int {
		vm.rawWritten = true
		if t, ok := L.Get(1).(*lua.LTable); ok {
			vm.touched(t, key(L))
		}
		return f.GFunction(L)
	})
}

// reuse returns *t, or a new table with metatable mt in its place when
// there is none or it lost mt, and whether it is new.
func reuse(L *lua.LState, t **lua.LTable, mt *lua.LTable) (*lua.LTable, bool) {
	if *t == nil || (*t).Metatable != mt {
		*t = L.CreateTable(0, 4)
		(*t).Metatable = mt
		return *t, true
	}
	return *t, false
}

// release ends an execution: it undoes what the script assigned to the
// keys of the reused tables, so that nothing of the script's stays
// reachable from the state while it waits for the next execution, and
// the next finds them as their fills left them.
func (vm *VM) release() {
	vm.tables.release()
	vm.http.release()
	if env := vm.env; env != nil {
		restore(env, "_G", env)
	}
	if r := vm.response; r != nil {
		restore(r, "message", lua.LNil)
	}
	if vm.chunk != nil {
		vm.chunk.Env = vm.base
	}
	// A coroutine that fails inside coroutine.wrap leaves itself as the
	// current thread, keeping its stack alive.
	vm.L.G.CurrentThread = vm.L
	vm.frames.clear()
}
