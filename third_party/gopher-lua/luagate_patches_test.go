package lua

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"
)

// Tests of the changes PATCHES.md lists.

func TestFarIntegerKeyStaysInTheHashPart(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`
		t = {}
		t[67108863] = 1
		assert(t[67108863] == 1 and #t == 0 and table.maxn(t) == 67108863)
		local n = 0
		for k, v in pairs(t) do n = n + 1 assert(k == 67108863 and v == 1) end
		assert(n == 1)
		t[67108863] = nil
		assert(next(t) == nil)
		table.insert(t, 5000000, "x")
		assert(t[5000000] == "x" and rawget(t, 5000000) == "x")
	`); err != nil {
		t.Fatal(err)
	}
	tb := L.GetGlobal("t").(*LTable)
	if len(tb.array) > MaxArrayGap+1 {
		t.Errorf("the array part grew to %d slots", len(tb.array))
	}
}

func TestArrayPartTakesOverHashKeysItReaches(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`
		t = {}
		t[3000] = "c"
		t[2000] = "b"
		for i = 1, 1999 do t[i] = i end
		assert(#t == 2000, "length " .. #t)
		t[2001] = "x"
		for i = 2002, 2999 do t[i] = i end
		assert(#t == 3000 and t[3000] == "c" and t[2000] == "b")
		local n = 0
		for _ in pairs(t) do n = n + 1 end
		assert(n == 3000, "pairs saw " .. n)
		local m = 0
		for _ in ipairs(t) do m = m + 1 end
		assert(m == 3000, "ipairs saw " .. m)

		u = {}
		u[1500] = "far"
		for i = 1, 600 do u[i] = i end
		u[1500] = "near"
		for i = 601, 1499 do u[i] = i end
		assert(#u == 1500 and u[1500] == "near")
		local k = 0
		for _, v in pairs(u) do k = k + 1 end
		assert(k == 1500, "pairs saw " .. k)

		v = {}
		v[1100] = "y"
		for i = 1, 1098 do v[i] = i end
		table.insert(v, 1, 0)
		assert(#v == 1100 and v[1100] == "y" and v[1099] == 1098)
	`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t", "u", "v"} {
		if tb := L.GetGlobal(name).(*LTable); len(tb.dict) != 0 {
			t.Errorf("%s: the hash part still holds %d integer keys", name, len(tb.dict))
		}
	}
}

func TestRawGetIntReadsKeysOutsideTheArrayPart(t *testing.T) {
	tb := newLTable(0, 0)
	tb.RawSetInt(-1, LString("neg"))
	tb.RawSetInt(1<<20, LString("far"))
	if tb.RawGetInt(-1) != LString("neg") || tb.RawGetInt(1<<20) != LString("far") || tb.RawGetInt(2) != LNil {
		t.Fatalf("got %v, %v, %v", tb.RawGetInt(-1), tb.RawGetInt(1<<20), tb.RawGetInt(2))
	}
}

func TestTracebackOfATailCallLoopCostsLittle(t *testing.T) {
	L := NewState()
	defer L.Close()
	var allocated uint64
	var trace string
	L.SetGlobal("check", L.NewFunction(func(L *LState) int {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		trace = L.stackTrace(0)
		runtime.ReadMemStats(&after)
		allocated = after.TotalAlloc - before.TotalAlloc
		return 0
	}))
	if err := L.DoString(`
		local n = 0
		local function f() n = n + 1 if n == 1000000 then return check() end return f() end
		f()`); err != nil {
		t.Fatal(err)
	}
	// A line for each of the million tail calls took 16 MB or more.
	if allocated > 1<<20 {
		t.Errorf("the traceback of a million tail calls allocated %d bytes", allocated)
	}
	if !strings.Contains(trace, "(tailcall): ?") {
		t.Errorf("the traceback does not show the tail calls:\n%s", trace)
	}
}

func TestHasArrayPartTellsAnEmptiedArrayFromAnEmptyTable(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`empty, hash, emptied, list = {}, {a = 1}, {1}, {1, 2}
hash.a = nil
emptied[1] = nil`); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"empty": false, "hash": false, "emptied": true, "list": true} {
		if got := L.GetGlobal(name).(*LTable).HasArrayPart(); got != want {
			t.Errorf("%s: HasArrayPart() = %v, want %v", name, got, want)
		}
	}
	if L.CreateTable(0, 0).HasArrayPart() || !L.CreateTable(1, 0).HasArrayPart() {
		t.Error("CreateTable(0, 0) has an array part, or CreateTable(1, 0) has none")
	}
}

func TestSharedTableCopiesBeforeEitherSideWrites(t *testing.T) {
	L := NewState()
	defer L.Close()
	tpl := L.CreateTable(0, 3)
	tpl.RawSetString("a", LString("1"))
	tpl.RawSetString("b", LString("2"))
	tpl.Share()
	var x, y LTable
	tpl.ShareInto(&x)
	tpl.ShareInto(&y)
	L.SetGlobal("x", &x)
	L.SetGlobal("y", &y)
	if err := L.DoString(`
		local n = 0
		for k, v in pairs(x) do n = n + 1 assert(({a = "1", b = "2"})[k] == v) end
		assert(n == 2)
		x.a = "changed"
		x.c = "added"
		x.b = nil
		assert(y.a == "1" and y.b == "2" and y.c == nil)
		y.d = "other"
		assert(x.d == nil)
		local keys = {}
		for k in pairs(x) do keys[#keys + 1] = k end
		table.sort(keys)
		assert(table.concat(keys, ",") == "a,c", table.concat(keys, ","))
	`); err != nil {
		t.Fatal(err)
	}
	if tpl.RawGetString("a") != LString("1") || tpl.RawGetString("b") != LString("2") ||
		tpl.RawGetString("c") != LNil || tpl.RawGetString("d") != LNil {
		t.Error("a write to a table that borrowed from tpl changed tpl")
	}
	n := 0
	tpl.ForEach(func(LValue, LValue) { n++ })
	if n != 2 {
		t.Errorf("tpl holds %d keys, want 2", n)
	}
}

func TestSharedTableLendsForOneAllocation(t *testing.T) {
	tpl := newLTable(0, 8)
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		tpl.RawSetString(k, LString(k))
	}
	tpl.Share()
	if n := testing.AllocsPerRun(100, func() { tpl.ShareInto(new(LTable)) }); n > 1 {
		t.Errorf("ShareInto: %v allocations, want at most 1", n)
	}
}

func TestKeyIndexIsBuiltAtTheFirstWalk(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`
		local t = {a = 1, b = 2, c = 3, [true] = 4, [2.5] = 5}
		t.d = 6
		t.a = nil
		local seen, n = {}, 0
		for k, v in pairs(t) do
			n = n + 1
			seen[tostring(k)] = v
			t[k] = nil -- clearing fields during a walk is allowed
		end
		assert(n == 5 and seen.b == 2 and seen.c == 3 and seen["true"] == 4 and seen["2.5"] == 5 and seen.d == 6)
		assert(next(t) == nil)
		t.e = 7 -- a key added after a walk is indexed as it is set
		t[false] = 8
		n = 0
		for k in pairs(t) do n = n + 1 end
		assert(n == 2)
		assert(next({x = 1}, "x") == nil)
	`); err != nil {
		t.Fatal(err)
	}
	tb := newLTable(0, 4)
	if n := testing.AllocsPerRun(100, func() {
		tb.RawSetString("only", LTrue)
		tb.RawSetString("only", LNil)
	}); n != 0 {
		t.Errorf("setting a key of a table never walked: %v allocations, want 0", n)
	}
}

func TestStringWritesCountsEveryWriteToAStringKey(t *testing.T) {
	L := NewState()
	defer L.Close()
	tb := L.NewTable()
	tb.RawSetString("a", LString("x"))
	L.SetGlobal("t", tb)
	for _, c := range []struct {
		src    string
		writes uint32
	}{
		{`local v = t.a; v = rawget(t, "a"); for k in pairs(t) do end`, 0},
		{`t.a = "y"`, 1},
		{`rawset(t, "a", "z")`, 1},
		{`t.a = nil`, 1},
		{`t[1] = true; t[2.5] = true`, 0},
		{`t["b" .. "c"] = 1; t.b = 2`, 2},
	} {
		before := tb.StringWrites()
		if err := L.DoString(c.src); err != nil {
			t.Fatal(err)
		}
		if got := tb.StringWrites() - before; got != c.writes {
			t.Errorf("%s: %d writes counted, want %d", c.src, got, c.writes)
		}
	}
}

func TestAnEndedContextStopsTheScriptWithinTheCheckInterval(t *testing.T) {
	L := NewState()
	defer L.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("cancel", L.NewFunction(func(*LState) int { cancel(); return 0 }))
	err := L.DoString(`n = 0 cancel() while true do n = n + 1 end`)
	L.RemoveContext()
	if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Fatalf("got %v, want the context's error", err)
	}
	// Each iteration is a few instructions.
	if n := L.GetGlobal("n").(LNumber); n > ctxCheckInterval {
		t.Errorf("the loop ran %v times after its context ended, want at most %d", n, ctxCheckInterval)
	}
}

func TestWantedResultsIsWhatTheCallerTakes(t *testing.T) {
	L := NewState()
	defer L.Close()
	var got []int
	L.SetGlobal("f", L.NewFunction(func(L *LState) int {
		got = append(got, L.WantedResults())
		L.Push(LNumber(1))
		L.Push(LNumber(2))
		return 2
	}))
	if err := L.DoString(`
		f()                                  -- a statement: 0
		local a = f()                        -- 1
		local b, c, d = f()                  -- 3
		local t = {f()}                      -- all
		print(f())                           -- all, the last argument
		print(f(), 0)                        -- 1, not the last
		local function statement() f() end
		local function tail() return f() end
		statement()                          -- 0
		tail()                               -- 0: the tail call's caller takes none
		local e = tail()                     -- 1
		pcall(f)                             -- all: pcall takes them for its caller
		local co = coroutine.wrap(function() f() end)
		co()                                 -- 0, in the coroutine
	`); err != nil {
		t.Fatal(err)
	}
	want := []int{0, 1, 3, MultRet, MultRet, 1, 0, 0, 1, MultRet, 0}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("call %d: got %v, want %v", i, got, want)
		}
	}
	L.Push(L.GetGlobal("f"))
	L.Call(0, 0)
	L.Push(L.GetGlobal("f"))
	L.Call(0, 2)
	L.Pop(2)
	if got := got[len(got)-2:]; got[0] != 0 || got[1] != 2 {
		t.Fatalf("calls from Go: got %v, want [0 2]", got)
	}
	if n := L.WantedResults(); n != MultRet {
		t.Fatalf("outside a call: %d", n)
	}
}

func TestTheStopFlagStopsTheScriptAtItsNextInstruction(t *testing.T) {
	L := NewState()
	defer L.Close()
	var stop atomic.Bool
	L.G.Stop = &stop
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("cancel", L.NewFunction(func(*LState) int {
		cancel()
		stop.Store(true)
		return 0
	}))
	// Each doubling is five instructions: without the flag, the string
	// would reach kilobytes before the next look at the context.
	err := L.DoString(`s = "x" cancel() for i = 1, 20 do s = s .. s end`)
	L.RemoveContext()
	if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Fatalf("got %v, want the context's error", err)
	}
	if n := len(L.GetGlobal("s").(LString)); n > 2 {
		t.Errorf("the string grew to %d bytes after the stop", n)
	}
}

// deferredRecord is a table with the field "eager" set and "late" and
// "other" deferred, and the number of fills so far.
func deferredRecord(L *LState) (*LTable, *int) {
	fills := new(int)
	tb := L.NewTable()
	tb.RawSetString("eager", LString("now"))
	tb.SetDeferred(&Deferred{
		Defers: func(k string) bool { return k == "late" || k == "other" },
		Fill: func(tb *LTable) {
			*fills++
			tb.RawSetString("late", LString("filled"))
			tb.RawSetString("other", LNumber(2))
		},
	})
	return tb, fills
}

func TestDeferredFieldsAreFilledAtTheirFirstUse(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		fills        int
	}{
		{"eager reads", `assert(r.eager == "now" and rawget(r, "eager") == "now" and r[1] == nil)`, 0},
		{"eager writes", `r.eager = "changed" rawset(r, "new", 1) r[1] = 1 assert(r.eager == "changed")`, 0},
		{"a field", `assert(r.late == "filled" and r.other == 2 and r.late == "filled")`, 1},
		{"rawget", `assert(rawget(r, "other") == 2)`, 1},
		{"a key built at run time", `local k = "la" .. "te" assert(r[k] == "filled")`, 1},
		{"an assignment", `r.late = "mine" assert(r.late == "mine" and r.other == 2)`, 1},
		{"rawset", `rawset(r, "other", nil) assert(r.other == nil and r.late == "filled")`, 1},
		{"pairs", `local n = 0 for k, v in pairs(r) do n = n + 1 end assert(n == 3, n)`, 1},
		{"next", `local seen = {} local k = next(r) while k do seen[k] = true k = next(r, k) end assert(seen.late and seen.other and seen.eager)`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L := NewState()
			defer L.Close()
			r, fills := deferredRecord(L)
			L.SetGlobal("r", r)
			if err := L.DoString(tc.script); err != nil {
				t.Fatal(err)
			}
			if *fills != tc.fills {
				t.Errorf("filled %d times, want %d", *fills, tc.fills)
			}
			if r.Pending() != (tc.fills == 0) {
				t.Errorf("pending %v after %d fills", r.Pending(), *fills)
			}
		})
	}
}

func TestDeferredFieldsAreFilledForGoCallers(t *testing.T) {
	L := NewState()
	defer L.Close()
	r, fills := deferredRecord(L)
	n := 0
	r.ForEach(func(LValue, LValue) { n++ })
	if *fills != 1 || n != 3 {
		t.Errorf("ForEach saw %d fields after %d fills, want 3 after 1", n, *fills)
	}
	r, fills = deferredRecord(L)
	r.SetDeferred(nil)
	if r.RawGetString("late") != LNil || *fills != 0 {
		t.Errorf("a Deferred let go of still filled")
	}
	r, fills = deferredRecord(L)
	r.Resolve()
	r.Resolve()
	if *fills != 1 || r.Pending() {
		t.Errorf("Resolve filled %d times, want 1", *fills)
	}
}

func TestATableTakesEightyBytes(t *testing.T) {
	// The key index behind a pointer pays for the Deferred, and takes
	// every table down a size class (96 to 80 bytes).
	if n := unsafe.Sizeof(LTable{}); n != 80 {
		t.Errorf("LTable is %d bytes", n)
	}
}

func TestInternedConstantsShareTheHostsSpelling(t *testing.T) {
	// The host's spellings, made at run time so that they cannot share
	// storage with the compiler's strings by chance.
	key, value := strings.Clone("type"), strings.Clone("data")
	boxedKey, boxedValue := LValue(LString(key)), LValue(LString(value))
	canon := func(s string) (LValue, bool) {
		switch s {
		case key:
			return boxedKey, true
		case value:
			return boxedValue, true
		}
		return nil, false
	}
	L := NewState()
	defer L.Close()
	fn, err := L.LoadString(`local t = ... ; local function f() return t.type == "data" end ; return f(), t.other`)
	if err != nil {
		t.Fatal(err)
	}
	fn.Proto.InternStrings(canon)
	shares := func(p *FunctionProto, want string) bool {
		for i, c := range p.Constants {
			if s, ok := c.(LString); ok && string(s) == want {
				return unsafe.StringData(string(s)) == unsafe.StringData(want) &&
					unsafe.StringData(p.stringConstants[i]) == unsafe.StringData(want)
			}
		}
		return false
	}
	inner := fn.Proto.FunctionPrototypes[0]
	if !shares(inner, key) || !shares(inner, value) {
		t.Error("the nested function's constants do not share the host's spelling")
	}
	tb := L.NewTable()
	tb.RawSetString(key, LString(value))
	tb.RawSetString("other", LNumber(7))
	L.Push(fn)
	L.Push(tb)
	if err := L.PCall(1, 2, nil); err != nil {
		t.Fatal(err)
	}
	if got, other := L.Get(-2), L.Get(-1); got != LTrue || other != LNumber(7) {
		t.Errorf("the interned script returned %v, %v; want true, 7", got, other)
	}
}
