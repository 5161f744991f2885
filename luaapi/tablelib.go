package luaapi

import (
	"sort"

	lua "github.com/yuin/gopher-lua"
)

// boundBuiltins replaces the table functions, unpack and os.date, which
// gopher-lua lets allocate or run without bound, with luagate's own. base
// holds the libraries as they were opened; boundStringLib does the same for
// the string library.
func boundBuiltins(L *lua.LState, base *lua.LTable) {
	table := base.RawGetString("table").(*lua.LTable)
	table.RawSetString("concat", L.NewFunction(tabConcat))
	table.RawSetString("sort", L.NewFunction(tabSort))
	base.RawSetString("unpack", L.NewFunction(baseUnpack))
	os := base.RawGetString("os").(*lua.LTable)
	date := os.RawGetString("date").(*lua.LFunction).GFunction
	os.RawSetString("date", L.NewFunction(func(L *lua.LState) int {
		if f := L.OptString(1, ""); len(f) > MaxStringBytes/maxDateExpansion {
			L.RaiseError("os.date: format of %d bytes is over the limit of %d", len(f), MaxStringBytes/maxDateExpansion)
		}
		return date(L)
	}))
}

// maxDateExpansion is more than the longest text os.date writes for one
// byte of its format ("%c" is about 20 bytes).
const maxDateExpansion = 16

// table.concat(t [, sep [, i [, j]]]) as in Lua 5.1, with its size known
// before it allocates: gopher-lua pushed every item and separator onto the
// value stack and joined them at once, 100 GB for a 1 MiB separator
// between 100,000 items.
func tabConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	if n := j - i; len(sep) > 0 && (n < 0 || n > MaxStringBytes/len(sep)) {
		L.RaiseError("table.concat: a %d-byte separator between items %d to %d is over the limit of %d bytes", len(sep), i, j, MaxStringBytes)
	}
	// Strings are counted as they are and numbers as digits they might
	// print, so that the result's size is known (and no more than it is
	// allocated) before anything is joined.
	size := (j - i) * len(sep)
	numbers := 0
	for k := i; ; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			numbers++
		default:
			L.RaiseError("table.concat: invalid value (a %s) at index %d", v.Type(), k)
		}
		if size > MaxStringBytes {
			L.RaiseError("table.concat: result is over the limit of %d bytes", MaxStringBytes)
		}
		if k == j {
			break
		}
	}
	out := resultBuilder{L: L, fn: "table.concat"}
	out.Grow(min(size+numbers*8, MaxStringBytes))
	for k := i; ; k++ {
		out.add(lua.LVAsString(t.RawGetInt(k)))
		if k == j {
			break
		}
		out.add(sep)
	}
	L.Push(lua.LString(out.String()))
	return 1
}

// table.sort(t [, comp]) sorts t[1] to t[#t]. gopher-lua sorted the array
// part as it was, nils past #t included, and checked no deadline.
func tabSort(L *lua.LState) int {
	t := L.CheckTable(1)
	s := &sorter{L: L, steps: deadlineCheckSteps}
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		s.less = L.CheckFunction(2)
	}
	n := t.Len()
	s.values = make([]lua.LValue, n)
	for k := range s.values {
		s.values[k] = t.RawGetInt(k + 1)
	}
	sort.Sort(s)
	for k, v := range s.values {
		t.RawSetInt(k+1, v)
	}
	return 0
}

type sorter struct {
	L      *lua.LState
	less   *lua.LFunction
	values []lua.LValue
	steps  int
}

func (s *sorter) Len() int      { return len(s.values) }
func (s *sorter) Swap(i, j int) { s.values[i], s.values[j] = s.values[j], s.values[i] }

func (s *sorter) Less(i, j int) bool {
	if s.steps--; s.steps == 0 {
		s.steps = deadlineCheckSteps
		stopIfDone(s.L)
	}
	a, b := s.values[i], s.values[j]
	if s.less == nil {
		return s.L.LessThan(a, b)
	}
	L := s.L
	L.Push(s.less)
	L.Push(a)
	L.Push(b)
	L.Call(2, 1)
	r := lua.LVAsBool(L.Get(-1))
	L.Pop(1)
	return r
}

// unpack(t [, i [, j]]) returns at most MaxUnpack values, and says so
// rather than run out of value stack.
func baseUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.OptInt(2, 1)
	j := L.OptInt(3, t.Len())
	if i > j {
		return 0
	}
	if n := j - i; n < 0 || n >= MaxUnpack {
		L.RaiseError("unpack: too many results (over the limit of %d)", MaxUnpack)
	}
	for k := i; ; k++ {
		L.Push(t.RawGetInt(k))
		if k == j {
			break
		}
	}
	return j - i + 1
}
