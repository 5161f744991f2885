package luaapi

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// Rough sizes of the Lua values from_json builds, for MaxJSONDecodedBytes:
// a table, an element of an array, a member of an object (gopher-lua keeps
// a key in a map, a list and a second map), the header of a string, and a
// boxed number.
const (
	jsonTableCost  = 128
	jsonItemCost   = 16
	jsonMemberCost = 64
	jsonStringCost = 16
	jsonNumberCost = 8
)

// jsonSyntaxError is how the decoder unwinds on bad input.
type jsonSyntaxError struct{ err error }

// jsonDecoder turns JSON text into Lua values directly, as gopher-json's
// Decode did through encoding/json (nulls in arrays are dropped, a null
// member is absent, invalid UTF-8 becomes U+FFFD), within MaxJSONDepth and
// MaxJSONDecodedBytes, and checking the deadline as it goes.
type jsonDecoder struct {
	L      *lua.LState
	s      string
	i      int
	depth  int
	budget int // bytes of Lua values it may still build
	steps  int
	// stack holds the elements, or keys and values, of the arrays and
	// objects being read, so that each table is made at its size.
	stack []lua.LValue
}

// decodeJSON returns the value of the JSON text s.
func decodeJSON(L *lua.LState, s string) (v lua.LValue, err error) {
	d := jsonDecoder{L: L, s: s, budget: MaxJSONDecodedBytes, steps: deadlineCheckSteps}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(jsonSyntaxError)
			if !ok {
				panic(r)
			}
			v, err = nil, se.err
		}
	}()
	d.space()
	v = d.value()
	if d.space(); d.i < len(s) {
		d.fail("invalid character %q after the top-level value", s[d.i])
	}
	return v, nil
}

func (d *jsonDecoder) fail(format string, args ...any) {
	panic(jsonSyntaxError{fmt.Errorf("invalid JSON at byte %d: %s", d.i, fmt.Sprintf(format, args...))})
}

func (d *jsonDecoder) charge(n int) {
	if d.budget -= n; d.budget < 0 {
		panic(jsonSyntaxError{fmt.Errorf("the decoded value is over the limit of %d bytes", MaxJSONDecodedBytes)})
	}
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// expect consumes the byte c, which must come next.
func (d *jsonDecoder) expect(c byte, context string) {
	if d.i == len(d.s) {
		d.fail("unexpected end of input")
	}
	if d.s[d.i] != c {
		d.fail("invalid character %q %s", d.s[d.i], context)
	}
	d.i++
}

func (d *jsonDecoder) value() lua.LValue {
	if d.steps--; d.steps == 0 {
		d.steps = deadlineCheckSteps
		stopIfDone(d.L)
	}
	if d.i == len(d.s) {
		d.fail("unexpected end of input")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == '-' || isDigit(c):
		return d.number()
	}
	for _, lit := range jsonLiterals {
		if len(d.s)-d.i >= len(lit.text) && d.s[d.i:d.i+len(lit.text)] == lit.text {
			d.i += len(lit.text)
			return lit.v
		}
	}
	d.fail("invalid character %q looking for the beginning of a value", d.s[d.i])
	return nil
}

var jsonLiterals = [...]struct {
	text string
	v    lua.LValue
}{{"true", lua.LTrue}, {"false", lua.LFalse}, {"null", lua.LNil}}

// list reads an array or object, from its opening character to close,
// calling item for each element or member; after says where a missing
// comma was expected.
func (d *jsonDecoder) list(close byte, after string, item func()) {
	if d.depth++; d.depth > MaxJSONDepth {
		d.fail("arrays and objects nested deeper than %d", MaxJSONDepth)
	}
	d.i++
	d.charge(jsonTableCost)
	d.space()
	if d.i < len(d.s) && d.s[d.i] == close {
		d.i++
		d.depth--
		return
	}
	for {
		d.space()
		item()
		d.space()
		if d.i < len(d.s) && d.s[d.i] == close {
			d.i++
			d.depth--
			return
		}
		d.expect(',', after)
	}
}

// array reads an array into a table made at its size. Nulls are dropped,
// as gopher-json's decoding did.
func (d *jsonDecoder) array() lua.LValue {
	start := len(d.stack)
	d.list(']', "after an array element", func() {
		if v := d.value(); v != lua.LNil {
			d.stack = append(d.stack, v)
		}
		d.charge(jsonItemCost)
	})
	items := d.stack[start:]
	t := newList(d.L, len(items))
	for _, v := range items {
		t.Append(v)
	}
	clear(items)
	d.stack = d.stack[:start]
	return t
}

// object reads an object into a table made at its size; a later member
// replaces an earlier one of the same key, and a null member leaves the
// key out.
func (d *jsonDecoder) object() lua.LValue {
	start := len(d.stack)
	d.list('}', "after an object member", func() {
		if d.i == len(d.s) || d.s[d.i] != '"' {
			d.expect('"', "looking for the beginning of an object key")
		}
		k := d.string()
		d.space()
		d.expect(':', "after an object key")
		d.space()
		d.stack = append(d.stack, k, d.value())
		d.charge(jsonMemberCost)
	})
	members := d.stack[start:]
	t := d.L.CreateTable(0, len(members)/2)
	for i := 0; i < len(members); i += 2 {
		t.RawSetString(string(members[i].(lua.LString)), members[i+1])
	}
	clear(members)
	d.stack = d.stack[:start]
	return t
}

func (d *jsonDecoder) number() lua.LValue {
	s, start := d.s, d.i
	digits := func() int {
		n := 0
		for d.i < len(s) && isDigit(s[d.i]) {
			d.i++
			n++
		}
		return n
	}
	if s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(s) && s[d.i] == '0':
		d.i++
	case digits() == 0:
		d.fail("a number needs digits")
	}
	if d.i < len(s) && s[d.i] == '.' {
		d.i++
		if digits() == 0 {
			d.fail("a number needs digits after its decimal point")
		}
	}
	if d.i < len(s) && (s[d.i] == 'e' || s[d.i] == 'E') {
		d.i++
		if d.i < len(s) && (s[d.i] == '+' || s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			d.fail("a number needs digits in its exponent")
		}
	}
	text := s[start:d.i]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		d.i = start
		d.fail("number %s is out of range", text)
	}
	d.charge(jsonNumberCost)
	return lua.LNumber(f)
}

// string reads a string literal. One without escapes or invalid UTF-8 is
// a piece of the input, not a copy.
func (d *jsonDecoder) string() lua.LString {
	s := d.s
	d.i++
	start := d.i
	for d.i < len(s) {
		c := s[d.i]
		switch {
		case c == '"':
			d.i++
			d.charge(jsonStringCost + d.i - start)
			return lua.LString(s[start : d.i-1])
		case c == '\\' || c < ' ':
			return d.unquote(start)
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(s[d.i:])
			if r == utf8.RuneError && size == 1 {
				return d.unquote(start)
			}
			d.i += size
		}
	}
	d.fail("unexpected end of input")
	return ""
}

// unquote reads the rest of a string literal that starts at start and
// needs decoding from d.i on.
func (d *jsonDecoder) unquote(start int) lua.LString {
	s := d.s
	b := []byte(s[start:d.i])
	for d.i < len(s) {
		c := s[d.i]
		switch {
		case c == '"':
			d.i++
			d.charge(jsonStringCost + len(b))
			return lua.LString(b)
		case c == '\\':
			b = d.escape(b)
		case c < ' ':
			d.fail("invalid character %q in a string", c)
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(s[d.i:])
			b = utf8.AppendRune(b, r) // U+FFFD for an invalid byte
			d.i += size
		}
		if len(b) > d.budget {
			d.charge(len(b))
		}
	}
	d.fail("unexpected end of input")
	return ""
}

// escape appends the character of the escape sequence at d.i.
func (d *jsonDecoder) escape(b []byte) []byte {
	s := d.s
	if d.i+1 == len(s) {
		d.fail("unexpected end of input")
	}
	c := s[d.i+1]
	d.i += 2
	switch c {
	case '"', '\\', '/':
		return append(b, c)
	case 'b':
		return append(b, '\b')
	case 'f':
		return append(b, '\f')
	case 'n':
		return append(b, '\n')
	case 'r':
		return append(b, '\r')
	case 't':
		return append(b, '\t')
	case 'u':
		r := d.hex4()
		if utf16.IsSurrogate(r) {
			// A pair makes one character; a half alone is U+FFFD, and
			// what follows it is read on its own.
			r2 := utf8.RuneError
			if len(s)-d.i >= 6 && s[d.i] == '\\' && s[d.i+1] == 'u' {
				d.i += 2
				r2 = utf16.DecodeRune(r, d.hex4())
				if r2 == utf8.RuneError {
					d.i -= 6
				}
			}
			r = r2
		}
		return utf8.AppendRune(b, r)
	}
	d.i--
	d.fail("invalid escape character %q in a string", c)
	return nil
}

// hex4 reads the four hexadecimal digits of a \u escape.
func (d *jsonDecoder) hex4() rune {
	if len(d.s)-d.i < 4 {
		d.fail("unexpected end of input")
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		d.fail("invalid \\u escape %q", d.s[d.i:d.i+4])
	}
	d.i += 4
	return rune(n)
}
