package keystore

import (
	"fmt"
	"math"
	"strings"
)

var stringCommands = map[string]command{
	"get": {run: func(x *call) (any, error) {
		e, err := x.of(KindString)
		if e == nil || err != nil {
			return nil, err
		}
		return e.Str, nil
	}},
	"set": {min: 1, max: -1, write: true, run: set},
	"setnx": {min: 1, max: 1, write: true, run: func(x *call) (any, error) {
		if x.e != nil {
			return int64(0), nil
		}
		x.e, x.dirty = &Entry{Kind: KindString, Str: x.args[0]}, true
		return int64(1), nil
	}},
	"setex":  {min: 2, max: 2, write: true, run: setex(1000)},
	"psetex": {min: 2, max: 2, write: true, run: setex(1)},
	"getset": {min: 1, max: 1, write: true, run: func(x *call) (any, error) {
		old, err := x.of(KindString)
		if err != nil {
			return nil, err
		}
		x.e, x.dirty = &Entry{Kind: KindString, Str: x.args[0]}, true
		if old == nil {
			return nil, nil
		}
		return old.Str, nil
	}},
	"getdel": {write: true, run: func(x *call) (any, error) {
		e, err := x.of(KindString)
		if e == nil || err != nil {
			return nil, err
		}
		x.e, x.dirty = nil, true
		return e.Str, nil
	}},
	"append": {min: 1, max: 1, write: true, run: func(x *call) (any, error) {
		e, err := x.create(KindString)
		if err != nil {
			return nil, err
		}
		e.Str += x.args[0]
		x.dirty = true
		return int64(len(e.Str)), nil
	}},
	"strlen": {run: func(x *call) (any, error) {
		e, err := x.of(KindString)
		if e == nil || err != nil {
			return int64(0), err
		}
		return int64(len(e.Str)), nil
	}},
	"getrange": {min: 2, max: 2, run: func(x *call) (any, error) {
		start, end, err := x.bounds()
		if err != nil {
			return nil, err
		}
		e, err := x.of(KindString)
		if e == nil || err != nil {
			return "", err
		}
		lo, hi, ok := span(start, end, len(e.Str))
		if !ok {
			return "", nil
		}
		return e.Str[lo : hi+1], nil
	}},
	"setrange": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		off, err := x.int(0)
		if err != nil {
			return nil, err
		}
		if off < 0 {
			return nil, fmt.Errorf("%w: offset is out of range", ErrNotInteger)
		}
		if off+int64(len(x.args[1])) > x.maxValue {
			return nil, fmt.Errorf("%w: setrange would make a value of %d bytes; the limit is %d (--keystore-max-value-bytes)", ErrQuota, off+int64(len(x.args[1])), x.maxValue)
		}
		e, err := x.create(KindString)
		if err != nil {
			return nil, err
		}
		v := x.args[1]
		if v == "" {
			return int64(len(e.Str)), nil
		}
		b := []byte(e.Str)
		if need := int(off) + len(v); need > len(b) {
			b = append(b, make([]byte, need-len(b))...)
		}
		copy(b[off:], v)
		e.Str, x.dirty = string(b), true
		return int64(len(b)), nil
	}},
	"incr":        {write: true, run: func(x *call) (any, error) { return x.incrBy(1) }},
	"decr":        {write: true, run: func(x *call) (any, error) { return x.incrBy(-1) }},
	"incrby":      {min: 1, max: 1, write: true, run: incrArg(1)},
	"decrby":      {min: 1, max: 1, write: true, run: incrArg(-1)},
	"incrbyfloat": {min: 1, max: 1, write: true, run: incrByFloat},
}

// set is SET key value [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] [NX | XX] [GET].
func set(x *call) (any, error) {
	var (
		at           int64
		keepTTL, get bool
		cond         string
	)
	opts := x.args[1:]
	for i := 0; i < len(opts); i++ {
		switch o := strings.ToUpper(opts[i]); o {
		case "NX", "XX":
			if cond != "" {
				return nil, ErrSyntax
			}
			cond = o
		case "GET":
			get = true
		case "KEEPTTL":
			if at != 0 {
				return nil, ErrSyntax
			}
			keepTTL = true
		case "EX", "PX", "EXAT", "PXAT":
			if at != 0 || keepTTL || i+1 == len(opts) {
				return nil, ErrSyntax
			}
			i++
			n, err := parseInt(opts[i])
			if err != nil {
				return nil, err
			}
			unit := int64(1)
			if o == "EX" || o == "EXAT" {
				unit = 1000
			}
			if n <= 0 || n > math.MaxInt64/unit/2 {
				return nil, fmt.Errorf("%w: invalid expire time in set", ErrSyntax)
			}
			at = n * unit
			if o == "EX" || o == "PX" {
				at += x.now
			}
		default:
			return nil, fmt.Errorf("%w: set option %q", ErrSyntax, opts[i])
		}
	}
	var old any
	if get {
		e, err := x.of(KindString)
		if err != nil {
			return nil, err
		}
		if e != nil {
			old = e.Str
		}
	}
	if (cond == "NX" && x.e != nil) || (cond == "XX" && x.e == nil) {
		return old, nil
	}
	if keepTTL && x.e != nil {
		at = x.e.ExpiresAt
	}
	x.e, x.dirty = &Entry{Kind: KindString, Str: x.args[0], ExpiresAt: at}, true
	if get {
		return old, nil
	}
	return "OK", nil
}

// setex is SETEX key seconds value, in units of unit ms.
func setex(unit int64) func(*call) (any, error) {
	return func(x *call) (any, error) {
		n, err := x.int(0)
		if err != nil {
			return nil, err
		}
		if n <= 0 || n > math.MaxInt64/unit/2 {
			return nil, fmt.Errorf("%w: invalid expire time", ErrSyntax)
		}
		x.e, x.dirty = &Entry{Kind: KindString, Str: x.args[1], ExpiresAt: x.now + n*unit}, true
		return "OK", nil
	}
}

func incrArg(sign int64) func(*call) (any, error) {
	return func(x *call) (any, error) {
		n, err := x.int(0)
		if err != nil {
			return nil, err
		}
		if sign < 0 {
			if n == math.MinInt64 {
				return nil, fmt.Errorf("%w: decrement would overflow", ErrNotInteger)
			}
			n = -n
		}
		return x.incrBy(n)
	}
}

// incrBy adds n to the integer the key holds (0 when none), keeping its
// expiry.
func (x *call) incrBy(n int64) (any, error) {
	e, err := x.create(KindString)
	if err != nil {
		return nil, err
	}
	var v int64
	if e.Str != "" {
		if v, err = parseInt(e.Str); err != nil {
			return nil, ErrNotInteger
		}
	}
	if (n > 0 && v > math.MaxInt64-n) || (n < 0 && v < math.MinInt64-n) {
		return nil, fmt.Errorf("%w: increment or decrement would overflow", ErrNotInteger)
	}
	v += n
	e.Str, x.dirty = fmt.Sprint(v), true
	return v, nil
}

func incrByFloat(x *call) (any, error) {
	by, err := parseFloat(x.args[0])
	if err != nil {
		return nil, err
	}
	e, err := x.create(KindString)
	if err != nil {
		return nil, err
	}
	var v float64
	if e.Str != "" {
		if v, err = parseFloat(e.Str); err != nil {
			return nil, err
		}
	}
	v += by
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil, fmt.Errorf("%w: increment would produce NaN or Infinity", ErrNotFloat)
	}
	e.Str, x.dirty = formatFloat(v), true
	return e.Str, nil
}

// span turns Redis's inclusive start and end, negative from the end, into
// indexes of a sequence of n items; ok is false for an empty range.
func span(start, end int64, n int) (lo, hi int, ok bool) {
	l := int64(n)
	if start < 0 {
		start += l
	}
	if end < 0 {
		end += l
	}
	if start < 0 {
		start = 0
	}
	if end >= l {
		end = l - 1
	}
	if start > end || start >= l {
		return 0, 0, false
	}
	return int(start), int(end), true
}
