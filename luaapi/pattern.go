package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// The pattern matcher of string.find, match, gmatch and gsub: Lua 5.1's
// (lstrlib.c), with its character classes, sets, %b, %f and back
// references, working on the pattern text itself as Lua's does rather than
// compiling it. It replaces gopher-lua's matcher, which backtracked without
// checking the script's deadline, kept every match of gmatch and gsub in
// memory at once, and took any number of captures.
//
// Its time is bounded by the deadline, which it checks every
// deadlineCheckSteps steps; its Go stack by MaxPatternDepth (a recursion
// level per capture and per repeated or optional item, as in Lua 5.2 and
// later) and its memory by MaxCaptures.

const (
	capUnfinished = -1
	capPosition   = -2
)

type capture struct {
	init int
	len  int // capUnfinished, capPosition or the length
}

// matchState is one search of pat in src.
type matchState struct {
	L       *lua.LState
	src     string
	pat     string
	level   int // captures open or closed so far
	depth   int // recursion levels left
	steps   int // until the next deadline check
	capture [MaxCaptures]capture
}

func newMatchState(L *lua.LState, src, pat string) *matchState {
	return &matchState{L: L, src: src, pat: pat, steps: deadlineCheckSteps}
}

// reset prepares a match attempt at a new position.
func (ms *matchState) reset() {
	ms.level = 0
	ms.depth = MaxPatternDepth
}

// step counts n steps of work and checks the deadline when they add up.
func (ms *matchState) step(n int) {
	ms.steps -= n
	if ms.steps <= 0 {
		ms.steps = deadlineCheckSteps
		stopIfDone(ms.L)
	}
}

// match returns the end of the match of the pattern from p on at s, or -1.
func (ms *matchState) match(s, p int) int {
	if ms.depth == 0 {
		ms.L.RaiseError("pattern too complex (nested deeper than %d)", MaxPatternDepth)
	}
	ms.depth--
	ms.step(1)
	e := ms.doMatch(s, p)
	ms.depth++
	return e
}

func (ms *matchState) doMatch(s, p int) int {
	src, pat := ms.src, ms.pat
	for {
		if p == len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 == len(pat) {
				break // classEnd reports the malformed pattern
			}
			switch c := pat[p+1]; {
			case c == 'b':
				if s = ms.matchBalance(s, p+2); s == -1 {
					return -1
				}
				p += 4
				continue
			case c == 'f':
				p += 2
				if p == len(pat) || pat[p] != '[' {
					ms.L.RaiseError("missing '[' after '%%f' in pattern")
				}
				ep := ms.classEnd(p)
				var prev, cur byte
				if s > 0 {
					prev = src[s-1]
				}
				if s < len(src) {
					cur = src[s]
				}
				if ms.matchBracketClass(prev, p, ep-1) || !ms.matchBracketClass(cur, p, ep-1) {
					return -1
				}
				p = ep
				continue
			case isDigit(c):
				if s = ms.matchCapture(s, c); s == -1 {
					return -1
				}
				p += 2
				continue
			}
		}
		// A single item, possibly repeated or optional.
		ep := ms.classEnd(p)
		m := s < len(src) && ms.singleMatch(src[s], p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if m {
					if e := ms.match(s+1, ep+1); e != -1 {
						return e
					}
				}
				p = ep + 1
				continue
			case '*':
				return ms.maxExpand(s, p, ep)
			case '+':
				if !m {
					return -1
				}
				return ms.maxExpand(s+1, p, ep)
			case '-':
				return ms.minExpand(s, p, ep)
			}
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

// classEnd returns the end of the single item (character, %class or set)
// at p.
func (ms *matchState) classEnd(p int) int {
	pat := ms.pat
	c := pat[p]
	p++
	switch c {
	case '%':
		if p == len(pat) {
			ms.L.RaiseError("malformed pattern (ends with '%%')")
		}
		return p + 1
	case '[':
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // the first character of a set may be ']'
			if p >= len(pat) {
				ms.L.RaiseError("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++
			}
			if p < len(pat) && pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

func (ms *matchState) singleMatch(c byte, p, ep int) bool {
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, ms.pat[p+1])
	case '[':
		return ms.matchBracketClass(c, p, ep-1)
	}
	return ms.pat[p] == c
}

// matchBracketClass matches c against the set from the '[' at p to the ']'
// at ec.
func (ms *matchState) matchBracketClass(c byte, p, ec int) bool {
	pat := ms.pat
	sig := true
	if pat[p+1] == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case pat[p] == '%':
			p++
			if matchClass(c, pat[p]) {
				return sig
			}
		case pat[p+1] == '-' && p+2 < ec:
			p += 2
			if pat[p-2] <= c && c <= pat[p] {
				return sig
			}
		case pat[p] == c:
			return sig
		}
	}
	return !sig
}

func (ms *matchState) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(ms.src) && ms.singleMatch(ms.src[s+i], p, ep) {
		i++
	}
	ms.step(i)
	for ; i >= 0; i-- {
		if e := ms.match(s+i, ep+1); e != -1 {
			return e
		}
	}
	return -1
}

func (ms *matchState) minExpand(s, p, ep int) int {
	for {
		if e := ms.match(s, ep+1); e != -1 {
			return e
		}
		if s < len(ms.src) && ms.singleMatch(ms.src[s], p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (ms *matchState) startCapture(s, p, what int) int {
	if ms.level >= MaxCaptures {
		ms.L.RaiseError("pattern has more than %d captures", MaxCaptures)
	}
	ms.capture[ms.level] = capture{init: s, len: what}
	ms.level++
	e := ms.match(s, p)
	if e == -1 {
		ms.level--
	}
	return e
}

func (ms *matchState) endCapture(s, p int) int {
	l := -1
	for i := ms.level - 1; i >= 0; i-- {
		if ms.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l == -1 {
		ms.L.RaiseError("invalid pattern capture")
	}
	ms.capture[l].len = s - ms.capture[l].init
	e := ms.match(s, p)
	if e == -1 {
		ms.capture[l].len = capUnfinished
	}
	return e
}

// matchCapture matches a back reference %1 to %9 at s.
func (ms *matchState) matchCapture(s int, digit byte) int {
	l := int(digit) - '1'
	if l < 0 || l >= ms.level || ms.capture[l].len == capUnfinished {
		ms.L.RaiseError("invalid capture index")
	}
	c := ms.capture[l]
	if c.len < 0 { // a position capture matches nothing, as in Lua
		return -1
	}
	if len(ms.src)-s >= c.len && ms.src[c.init:c.init+c.len] == ms.src[s:s+c.len] {
		return s + c.len
	}
	return -1
}

func (ms *matchState) matchBalance(s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.L.RaiseError("unbalanced pattern (%%b needs two characters)")
	}
	src := ms.src
	if s >= len(src) || src[s] != ms.pat[p] {
		return -1
	}
	open, close := ms.pat[p], ms.pat[p+1]
	depth := 1
	for i := s + 1; i < len(src); i++ {
		switch src[i] {
		case close:
			if depth--; depth == 0 {
				ms.step(i - s)
				return i + 1
			}
		case open:
			depth++
		}
	}
	ms.step(len(src) - s)
	return -1
}

// captureValue is capture i of the match from s to e: the whole match when
// the pattern has no captures and i is 0.
func (ms *matchState) captureValue(i, s, e int) lua.LValue {
	if i >= ms.level {
		if i != 0 {
			ms.L.RaiseError("invalid capture index")
		}
		return lua.LString(ms.src[s:e])
	}
	c := ms.capture[i]
	switch c.len {
	case capUnfinished:
		ms.L.RaiseError("unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(ms.src[c.init : c.init+c.len])
}

// pushCaptures pushes the captures of the match from s to e, or the whole
// match if there are none and whole is set, and returns how many.
func (ms *matchState) pushCaptures(s, e int, whole bool) int {
	n := ms.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		ms.L.Push(ms.captureValue(i, s, e))
	}
	return n
}

// Character classes of the C locale, as Lua's %a, %d, ... test them.
const (
	clAlpha = 1 << iota
	clCntrl
	clDigit
	clLower
	clPunct
	clSpace
	clUpper
	clXDigit
)

var charClasses = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		var bits uint8
		switch {
		case c >= 'a' && c <= 'z':
			bits |= clAlpha | clLower
		case c >= 'A' && c <= 'Z':
			bits |= clAlpha | clUpper
		case c >= '0' && c <= '9':
			bits |= clDigit
		case c < 32 || c == 127:
			bits |= clCntrl
		case c > 32 && c < 127:
			bits |= clPunct
		}
		if c == ' ' || (c >= '\t' && c <= '\r') {
			bits |= clSpace
		}
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			bits |= clXDigit
		}
		t[c] = bits
	}
	return t
}()

// classBits are the classes of the letters of %a, %c, %d, %l, %p, %s, %u,
// %w and %x.
var classBits = [256]uint8{'a': clAlpha, 'c': clCntrl, 'd': clDigit, 'l': clLower, 'p': clPunct,
	's': clSpace, 'u': clUpper, 'w': clAlpha | clDigit, 'x': clXDigit}

// matchClass reports whether c is in the class %cl: %a, %A, ... (an upper
// case letter is the complement), %z for NUL, or for any other cl, c
// itself.
func matchClass(c, cl byte) bool {
	lower := cl | 0x20 // only letters become letters
	var res bool
	switch bits := classBits[lower]; {
	case bits != 0:
		res = charClasses[c]&bits != 0
	case lower == 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'a' && cl <= 'z' {
		return res
	}
	return !res
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
