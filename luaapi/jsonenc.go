package luaapi

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// Errors of to_json. The texts are gopher-json's, which luagate used
// before it had its own encoder.
var (
	errNested      = errors.New("cannot encode recursively nested tables to JSON")
	errSparseArray = errors.New("cannot encode sparse array")
	errInvalidKeys = errors.New("cannot encode mixed or invalid key types")
	errTooDeep     = fmt.Errorf("cannot encode tables nested deeper than %d", MaxJSONDepth)
	errTooLong     = fmt.Errorf("JSON text is over the limit of %d bytes", MaxJSONBytes)
)

// jsonEncoder writes a Lua value as JSON the way gopher-json did (a table
// whose keys are 1..n an array, one whose keys are all strings an object
// with its keys sorted; strings are escaped as encoding/json escapes them,
// but for <, > and &), except that an empty table is [] only when it has
// had an array part (a list, or what newList made) and {} otherwise; and
// in one pass over the value, within MaxJSONDepth and MaxJSONBytes. gopher-json recursed through
// encoding/json, which re-scanned each nested level's output: a table
// nested 30,000 deep took 6 s, and 450,000 deep overflowed the Go stack.
// Its time is bounded by MaxJSONBytes: every table it visits adds to the
// text, also where one table is reached by many paths.
type jsonEncoder struct {
	buf  []byte
	path []*lua.LTable // the tables being encoded, outermost first
	keys []string      // the sorted keys of the objects on path, one after another
}

// encodeJSON returns the JSON text of v, or an error that starts with
// to_json.
func encodeJSON(v lua.LValue) ([]byte, error) {
	b, err := appendJSON(make([]byte, 0, 128), v)
	if err != nil {
		return nil, fmt.Errorf("to_json: %w", err)
	}
	return b, nil
}

// appendJSON appends the JSON text of v to b.
func appendJSON(b []byte, v lua.LValue) ([]byte, error) {
	e := jsonEncoder{buf: b}
	if err := e.value(v); err != nil {
		return nil, err
	}
	return e.buf, nil
}

func (e *jsonEncoder) value(v lua.LValue) error {
	switch v := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case lua.LNumber:
		return e.number(float64(v))
	case lua.LString:
		if len(e.buf)+len(v) > MaxJSONBytes {
			return errTooLong
		}
		e.buf = appendJSONString(e.buf, string(v))
	case *lua.LTable:
		return e.table(v)
	default:
		return fmt.Errorf("cannot encode %s to JSON", v.Type())
	}
	if len(e.buf) > MaxJSONBytes {
		return errTooLong
	}
	return nil
}

// number writes f as encoding/json does.
func (e *jsonEncoder) number(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("cannot encode %v to JSON", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(e.buf, f, format, -1, 64)
	if format == 'e' { // e-09 becomes e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	e.buf = b
	return nil
}

func (e *jsonEncoder) table(t *lua.LTable) error {
	if len(e.buf) > MaxJSONBytes {
		return errTooLong
	}
	if len(e.path) == MaxJSONDepth {
		if slices.Contains(e.path, t) {
			return errNested
		}
		return errTooDeep
	}
	e.path = append(e.path, t)
	defer func() { e.path = e.path[:len(e.path)-1] }()
	k, v := t.Next(lua.LNil)
	switch k.(type) {
	case *lua.LNilType:
		// Empty: an array if it ever was one, else an object, so {} stays {}.
		if t.HasArrayPart() {
			e.buf = append(e.buf, "[]"...)
		} else {
			e.buf = append(e.buf, "{}"...)
		}
		return nil
	case lua.LNumber:
		e.buf = append(e.buf, '[')
		for n := lua.LNumber(1); k != lua.LNil; n++ {
			if k.Type() != lua.LTNumber {
				return errInvalidKeys
			}
			if k != n {
				return errSparseArray
			}
			if n > 1 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(v); err != nil {
				return err
			}
			k, v = t.Next(k)
		}
		e.buf = append(e.buf, ']')
		return nil
	case lua.LString:
		return e.object(t, k)
	}
	return errInvalidKeys
}

// object writes t, whose first key is first, with its keys sorted.
func (e *jsonEncoder) object(t *lua.LTable, first lua.LValue) error {
	start := len(e.keys)
	defer func() { e.keys = e.keys[:start] }()
	for k := first; k != lua.LNil; k, _ = t.Next(k) {
		s, ok := k.(lua.LString)
		if !ok {
			return errInvalidKeys
		}
		e.keys = append(e.keys, string(s))
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendJSONString(e.buf, k)
		e.buf = append(e.buf, ':')
		if err := e.value(t.RawGetString(k)); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it with SetEscapeHTML(false) (<, > and & as they are: JSON
// answers are read by programs, not pasted into HTML), with each invalid
// UTF-8 byte as U+FFFD and the line and paragraph separators as \u2028 and
// \u2029.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
