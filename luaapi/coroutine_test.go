package luaapi

import (
	"runtime"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// TestCoroutinesUpToTheCapHoldLittleMemory keeps MaxCoroutines suspended
// coroutines alive and measures the heap they hold: what an execution can
// hold in coroutines must stay well under the default --script-memory of
// 64 MiB. Not parallel: it reads the whole process's heap.
func TestCoroutinesUpToTheCapHoldLittleMemory(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	var before, after runtime.MemStats
	heap := func(m *runtime.MemStats) lua.LGFunction {
		return func(*lua.LState) int {
			runtime.GC()
			runtime.ReadMemStats(m)
			return 0
		}
	}
	vm.base.RawSetString("before", vm.L.NewFunction(heap(&before)))
	vm.base.RawSetString("after", vm.L.NewFunction(heap(&after)))
	p := compileEndpoint(t, `
before()
local kept = {}
for i = 1, 1000 do
  kept[i] = coroutine.create(function() coroutine.yield() end)
  coroutine.resume(kept[i])
end
after()
assert(#kept == 1000)`)
	if err := vm.RunFor(10*time.Second, p, benchEvent()); err != nil {
		t.Fatal(err)
	}
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d coroutines hold %d KiB", MaxCoroutines, held>>10)
	if held > 32<<20 {
		t.Errorf("%d coroutines hold %d MiB", MaxCoroutines, held>>20)
	}
}
