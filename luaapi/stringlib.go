package luaapi

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// boundStringLib replaces the string functions that can run or allocate
// without bound with luagate's own, in the library table itself so that
// method calls on strings ("x"):rep(n) are covered too. gfind, gopher-lua's
// name of gmatch from Lua 5.0, is the same function as gmatch.
func boundStringLib(L *lua.LState, str *lua.LTable) {
	gmatch := L.NewFunction(strGmatch)
	for name, fn := range map[string]lua.LValue{
		"find":   L.NewFunction(strFind),
		"match":  L.NewFunction(strMatch),
		"gmatch": gmatch,
		"gfind":  gmatch,
		"gsub":   L.NewFunction(strGsub),
		"rep":    L.NewFunction(strRep),
		"upper":  L.NewFunction(strUpper),
		"lower":  L.NewFunction(strLower),
		"format": L.NewFunction(strFormat),
	} {
		str.RawSetString(name, fn)
	}
}

// patternSpecials are the characters that make a string.find pattern more
// than plain text.
const patternSpecials = "^$*+?.([%-"

// startIndex turns string.find's and match's init argument into an offset
// into a string of length n.
func startIndex(init, n int) int {
	if init < 0 {
		init += n + 1
	}
	switch {
	case init <= 0:
		return 0
	case init > n:
		return n
	}
	return init - 1
}

// checkSubject refuses a subject longer than MaxPatternSubject.
func checkSubject(L *lua.LState, fn, s string) {
	if len(s) > MaxPatternSubject {
		L.RaiseError("%s: subject of %d bytes is over the pattern limit of %d (use a plain string.find, or split the input)", fn, len(s), MaxPatternSubject)
	}
}

// string.find(s, pattern [, init [, plain]])
func strFind(L *lua.LState) int { return findOrMatch(L, true) }

// string.match(s, pattern [, init])
func strMatch(L *lua.LState) int { return findOrMatch(L, false) }

func findOrMatch(L *lua.LState, find bool) int {
	s, pat := L.CheckString(1), L.CheckString(2)
	init := startIndex(L.OptInt(3, 1), len(s))
	plain := find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, patternSpecials))
	if !plain && find {
		checkSubject(L, "string.find", s)
	} else if !plain {
		checkSubject(L, "string.match", s)
	}
	if plain {
		if i := strings.Index(s[init:], pat); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(pat)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	anchor := strings.HasPrefix(pat, "^")
	p := 0
	if anchor {
		p = 1
	}
	ms := newMatchState(L, s, pat)
	for s1 := init; s1 <= len(s); s1++ {
		ms.reset()
		if e := ms.match(s1, p); e != -1 {
			if find {
				L.Push(lua.LNumber(s1 + 1))
				L.Push(lua.LNumber(e))
				return ms.pushCaptures(0, 0, false) + 2
			}
			return ms.pushCaptures(s1, e, true)
		}
		if anchor {
			break
		}
	}
	L.Push(lua.LNil)
	return 1
}

// string.gmatch(s, pattern) returns an iterator that finds the next match
// on each call. As in Lua 5.1, '^' does not anchor.
func strGmatch(L *lua.LState) int {
	s, pat := L.CheckString(1), L.CheckString(2)
	checkSubject(L, "string.gmatch", s)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		ms := newMatchState(L, s, pat)
		for ; pos <= len(s); pos++ {
			ms.reset()
			if e := ms.match(pos, 0); e != -1 {
				start := pos
				pos = e
				if e == start { // an empty match: go on one further
					pos++
				}
				return ms.pushCaptures(start, e, true)
			}
		}
		return 0
	}))
	return 1
}

// string.gsub(s, pattern, repl [, n]) builds its result in one pass and
// fails before it grows past MaxStringBytes.
func strGsub(L *lua.LState) int {
	src, pat := L.CheckString(1), L.CheckString(2)
	checkSubject(L, "string.gsub", src)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTString, lua.LTNumber, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	anchor := strings.HasPrefix(pat, "^")
	p := 0
	if anchor {
		p = 1
	}
	ms := newMatchState(L, src, pat)
	out := resultBuilder{L: L, fn: "string.gsub"}
	copied, n := 0, 0 // src[copied:s] is yet to be added to out
	for s := 0; n < maxN; {
		ms.reset()
		e := ms.match(s, p)
		if e != -1 {
			n++
			out.add(src[copied:s])
			copied = ms.addReplacement(&out, repl, s, e)
		}
		switch {
		case e != -1 && e > s:
			s = e
		case s < len(src):
			s++
		default:
			s = len(src) + 1
		}
		if anchor || s > len(src) {
			break
		}
	}
	if n == 0 {
		L.Push(lua.LString(src))
	} else {
		out.add(src[copied:])
		L.Push(lua.LString(out.String()))
	}
	L.Push(lua.LNumber(n))
	return 2
}

// addReplacement adds what repl makes of the match from s to e and returns
// where the text after the match starts.
func (ms *matchState) addReplacement(out *resultBuilder, repl lua.LValue, s, e int) int {
	L := ms.L
	var v lua.LValue
	switch r := repl.(type) {
	case *lua.LTable:
		v = L.GetTable(r, ms.captureValue(0, s, e))
	case *lua.LFunction:
		L.Push(r)
		L.Call(ms.pushCaptures(s, e, true), 1)
		v = L.Get(-1)
		L.Pop(1)
	default:
		ms.addTemplate(out, lua.LVAsString(repl), s, e)
		return e
	}
	switch v.Type() {
	case lua.LTNil:
		return s // keep the original text
	case lua.LTBool:
		if v == lua.LFalse {
			return s
		}
	case lua.LTString, lua.LTNumber:
		out.add(lua.LVAsString(v))
		return e
	}
	L.RaiseError("invalid replacement value (a %s)", v.Type())
	return e
}

// addTemplate adds a replacement string, in which %0 to %9 stand for the
// captures and % before any other character for that character.
func (ms *matchState) addTemplate(out *resultBuilder, t string, s, e int) {
	for {
		i := strings.IndexByte(t, '%')
		if i < 0 || i == len(t)-1 {
			out.add(t)
			return
		}
		out.add(t[:i])
		switch c := t[i+1]; {
		case c == '0':
			out.add(ms.src[s:e])
		case isDigit(c):
			out.add(lua.LVAsString(ms.captureValue(int(c-'1'), s, e)))
		default:
			out.add(t[i+1 : i+2])
		}
		t = t[i+2:]
	}
}

// resultBuilder builds a built-in's string result and raises before it
// grows past MaxStringBytes.
type resultBuilder struct {
	strings.Builder
	L  *lua.LState
	fn string
}

func (b *resultBuilder) add(s string) {
	if b.Len()+len(s) > MaxStringBytes {
		b.L.RaiseError("%s: result is over the limit of %d bytes", b.fn, MaxStringBytes)
	}
	b.WriteString(s)
}

func (b *resultBuilder) addByte(c byte) {
	if b.Len()+1 > MaxStringBytes {
		b.L.RaiseError("%s: result is over the limit of %d bytes", b.fn, MaxStringBytes)
	}
	b.WriteByte(c)
}

// string.rep(s, n)
func strRep(L *lua.LState) int {
	s, n := L.CheckString(1), L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > MaxStringBytes/len(s) {
		L.RaiseError("string.rep: result of %d x %d bytes is over the limit of %d bytes", n, len(s), MaxStringBytes)
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// string.upper and string.lower change ASCII letters only, as Lua does in
// the C locale. gopher-lua's used Go's Unicode case mapping, which also
// turns each invalid UTF-8 byte into three bytes.
func strUpper(L *lua.LState) int { return mapCase(L, 'a', 'z') }
func strLower(L *lua.LState) int { return mapCase(L, 'A', 'Z') }

func mapCase(L *lua.LState, from, to byte) int {
	s := L.CheckString(1)
	i := 0
	for i < len(s) && (s[i] < from || s[i] > to) {
		i++
	}
	if i == len(s) {
		L.Push(lua.LString(s))
		return 1
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= from && c <= to {
			c ^= 0x20
		}
		b.WriteByte(c)
	}
	L.Push(lua.LString(b.String()))
	return 1
}
