package luaapi

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// string.format(fmt, ...) accepts Lua 5.1's conversions and nothing else:
// %d %i %u %c %x %X %o %e %E %f %g %G %q %s and %%, the flags - + space # 0,
// and a width and a precision of at most two digits each. gopher-lua
// handed the format to Go's fmt, which took explicit argument indexes
// (%.[1]999999f) past any width check and printed Go's own representation
// of values for %v, %T and %p. Each item is then at most a few hundred
// bytes, and the whole result is bounded by MaxStringBytes.
func strFormat(L *lua.LState) int {
	f := L.CheckString(1)
	out := resultBuilder{L: L, fn: "string.format"}
	arg := 1
	for i := 0; i < len(f); {
		j := strings.IndexByte(f[i:], '%')
		if j < 0 {
			out.add(f[i:])
			break
		}
		out.add(f[i : i+j])
		i += j + 1
		if i < len(f) && f[i] == '%' {
			out.addByte('%')
			i++
			continue
		}
		arg++
		if arg > L.GetTop() {
			L.ArgError(arg, "no value")
		}
		var spec formatSpec
		i = spec.scan(L, f, i)
		spec.format(L, &out, arg)
	}
	L.Push(lua.LString(out.String()))
	return 1
}

// formatSpec is one conversion: "%" flags width "." precision verb.
type formatSpec struct {
	flags   string
	width   string
	prec    string // "" if there is none; the digits, possibly none, after '.'
	hasPrec bool
	verb    byte
	minus   bool
}

// scan reads the conversion that starts at f[i], after its '%', and
// returns where the text after it starts.
func (c *formatSpec) scan(L *lua.LState, f string, i int) int {
	start := i
	for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
		i++
	}
	if i-start > 5 {
		L.RaiseError("invalid format (repeated flags)")
	}
	c.flags = f[start:i]
	c.minus = strings.IndexByte(c.flags, '-') >= 0
	i, c.width = digits(f, i)
	if i < len(f) && f[i] == '.' {
		c.hasPrec = true
		i, c.prec = digits(f, i+1)
	}
	if i < len(f) && isDigit(f[i]) {
		L.RaiseError("invalid format (width or precision too long)")
	}
	if i == len(f) {
		L.RaiseError("invalid conversion '%%%s' to 'format'", f[start:])
	}
	c.verb = f[i]
	return i + 1
}

// digits reads at most two digits of f from i.
func digits(f string, i int) (int, string) {
	start := i
	for i < len(f) && i-start < 2 && isDigit(f[i]) {
		i++
	}
	return i, f[start:i]
}

func (c *formatSpec) format(L *lua.LState, out *resultBuilder, arg int) {
	switch c.verb {
	case 'd', 'i':
		n := int64(L.CheckNumber(arg))
		if c.flags == "" && c.width == "" && !c.hasPrec {
			out.add(strconv.FormatInt(n, 10))
			return
		}
		c.printf(out, 'd', n)
	case 'u', 'o', 'x', 'X':
		n := uint64(int64(L.CheckNumber(arg)))
		verb := c.verb
		if verb == 'u' {
			verb = 'd'
		}
		// C ignores the sign flags for unsigned conversions, and '#' for
		// a zero; Go's fmt does neither.
		c.flags = without(c.flags, "+ ")
		if n == 0 {
			c.flags = without(c.flags, "#")
		}
		c.printf(out, verb, n)
	case 'c':
		c.pad(out, string([]byte{byte(int64(L.CheckNumber(arg)))}))
	case 'e', 'E', 'f', 'g', 'G':
		x := float64(L.CheckNumber(arg))
		if math.IsInf(x, 0) || math.IsNaN(x) {
			c.pad(out, c.nonFinite(x))
			return
		}
		if !c.hasPrec {
			c.prec, c.hasPrec = "6", true // C's default; Go's %g would print the shortest form
		}
		if c.flags == "" && c.width == "" && c.verb != 'g' && c.verb != 'G' {
			prec, _ := strconv.Atoi(c.prec)
			out.add(strconv.FormatFloat(x, c.verb, prec, 64))
			return
		}
		c.printf(out, c.verb, x)
	case 's':
		s := L.ToStringMeta(L.Get(arg)).String()
		if c.hasPrec {
			if prec, _ := strconv.Atoi(c.prec); prec < len(s) {
				s = s[:prec]
			}
		}
		c.pad(out, s)
	case 'q':
		addQuoted(out, L.CheckString(arg))
	default:
		L.RaiseError("invalid option '%%%c' to 'format'", c.verb)
	}
}

// printf formats a number with Go's fmt, whose flags, width and precision
// mean what C's do for these verbs.
func (c *formatSpec) printf(out *resultBuilder, verb byte, v any) {
	spec := "%" + c.flags + c.width
	if c.hasPrec {
		spec += "." + c.prec
	}
	out.add(fmt.Sprintf(spec+string(verb), v))
}

// without returns flags without the characters in drop.
func without(flags, drop string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(drop, r) {
			return -1
		}
		return r
	}, flags)
}

// pad pads s to the width with spaces, as C does for %s and %c (in bytes,
// where Go's fmt would count runes).
func (c *formatSpec) pad(out *resultBuilder, s string) {
	w, _ := strconv.Atoi(c.width)
	if len(s) >= w {
		out.add(s)
		return
	}
	fill := strings.Repeat(" ", w-len(s))
	if c.minus {
		out.add(s)
		out.add(fill)
		return
	}
	out.add(fill)
	out.add(s)
}

// nonFinite is x, an infinity or NaN, as C's printf writes it.
func (c *formatSpec) nonFinite(x float64) string {
	s := "inf"
	if math.IsNaN(x) {
		s = "nan"
	}
	if c.verb == 'E' || c.verb == 'G' {
		s = strings.ToUpper(s)
	}
	switch {
	case math.Signbit(x):
		return "-" + s
	case strings.IndexByte(c.flags, '+') >= 0:
		return "+" + s
	case strings.IndexByte(c.flags, ' ') >= 0:
		return " " + s
	}
	return s
}

// addQuoted adds s as a Lua string literal that reads back as s.
func addQuoted(out *resultBuilder, s string) {
	out.addByte('"')
	for len(s) > 0 {
		i := strings.IndexAny(s, "\"\\\n\r\x00")
		if i < 0 {
			out.add(s)
			break
		}
		out.add(s[:i])
		switch s[i] {
		case '\r':
			out.add(`\r`)
		case 0:
			out.add(`\000`)
		default:
			out.addByte('\\')
			out.addByte(s[i])
		}
		s = s[i+1:]
	}
	out.addByte('"')
}
