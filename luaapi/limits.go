package luaapi

import (
	"fmt"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// Bounds on built-in string functions. gopher-lua checks an execution's
// deadline between VM instructions only, so a single built-in call must
// itself be bounded: these keep one call from allocating gigabytes or from
// running (and recursing on the Go stack) far past the script timeout.
const (
	// MaxRepBytes is the largest string string.rep may build.
	MaxRepBytes = 16 << 20
	// MaxPatternSubject is the longest string the pattern functions
	// (string.find, match, gmatch, gsub) accept. gopher-lua's matcher
	// backtracks recursively, so its time and Go stack depth grow with the
	// subject; a plain string.find (fourth argument true) is linear and not
	// bounded.
	MaxPatternSubject = 64 << 10
	// MaxFormatWidth bounds the width and precision in string.format, which
	// gopher-lua hands to fmt.Sprintf as they are.
	MaxFormatWidth = 1000
)

// boundStringLib replaces the string functions that can run or allocate
// without bound with checked versions, in the library table itself so that
// method calls on strings ("x"):rep(n) are covered too.
func boundStringLib(L *lua.LState, str *lua.LTable) {
	rep := str.RawGetString("rep").(*lua.LFunction).GFunction
	str.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		s, n := L.CheckString(1), L.CheckInt(2)
		if n > 0 && int64(len(s))*int64(n) > MaxRepBytes {
			L.RaiseError("string.rep: result of %d bytes is over the limit of %d", int64(len(s))*int64(n), MaxRepBytes)
		}
		return rep(L)
	}))
	for _, name := range []string{"find", "match", "gmatch", "gsub"} {
		fn := str.RawGetString(name).(*lua.LFunction)
		orig := fn.GFunction
		name := name
		bounded := L.NewFunction(func(L *lua.LState) int {
			s := L.CheckString(1)
			plain := name == "find" && lua.LVAsBool(L.Get(4))
			if !plain && len(s) > MaxPatternSubject {
				L.RaiseError("string.%s: subject of %d bytes is over the pattern limit of %d (use a plain string.find, or split the input)", name, len(s), MaxPatternSubject)
			}
			return orig(L)
		})
		// gmatch returns its iterator from its upvalue.
		bounded.Upvalues = fn.Upvalues
		str.RawSetString(name, bounded)
	}
	format := str.RawGetString("format").(*lua.LFunction).GFunction
	str.RawSetString("format", L.NewFunction(func(L *lua.LState) int {
		if err := checkFormat(L.CheckString(1)); err != nil {
			L.RaiseError("string.format: %v", err)
		}
		return format(L)
	}))
}

// checkFormat rejects widths and precisions over MaxFormatWidth.
func checkFormat(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		for i < len(f) && (f[i] == '-' || f[i] == '+' || f[i] == ' ' || f[i] == '#' || f[i] == '0') {
			i++
		}
		for _, part := range []bool{true, false} { // width, then precision
			if !part {
				if i >= len(f) || f[i] != '.' {
					break
				}
				i++
			}
			start := i
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
			}
			if i > start {
				if n, err := strconv.Atoi(f[start:i]); err != nil || n > MaxFormatWidth {
					return fmt.Errorf("width or precision %s is over the limit of %d", f[start:i], MaxFormatWidth)
				}
			}
		}
	}
	return nil
}
