package keystore

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

var hashCommands = map[string]command{
	"hset": {min: 2, max: -1, write: true, run: hset},
	"hmset": {min: 2, max: -1, write: true, run: func(x *call) (any, error) {
		if _, err := hset(x); err != nil {
			return nil, err
		}
		return "OK", nil
	}},
	"hsetnx": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		e, err := x.create(KindHash)
		if err != nil {
			return nil, err
		}
		if _, ok := e.Hash[x.args[0]]; ok {
			return int64(0), nil
		}
		e.Hash[x.args[0]], x.dirty = x.args[1], true
		return int64(1), nil
	}},
	"hget": {min: 1, max: 1, run: func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if e == nil || err != nil {
			return nil, err
		}
		if v, ok := e.Hash[x.args[0]]; ok {
			return v, nil
		}
		return nil, nil
	}},
	"hmget": {min: 1, max: -1, run: func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(x.args))
		for i, f := range x.args {
			if v, ok := e.field(f); ok {
				out[i] = v
			}
		}
		return out, nil
	}},
	"hdel": {min: 1, max: -1, write: true, run: func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if e == nil || err != nil {
			return int64(0), err
		}
		removed := int64(0)
		for _, f := range x.args {
			if _, ok := e.Hash[f]; ok {
				delete(e.Hash, f)
				removed++
			}
		}
		x.dirty = removed > 0
		return removed, nil
	}},
	"hgetall": {run: hashItems(true, true)},
	"hkeys":   {run: hashItems(true, false)},
	"hvals":   {run: hashItems(false, true)},
	"hlen": {run: func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if e == nil || err != nil {
			return int64(0), err
		}
		return int64(len(e.Hash)), nil
	}},
	"hexists": {min: 1, max: 1, run: func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if err != nil {
			return nil, err
		}
		_, ok := e.field(x.args[0])
		return boolInt(ok), nil
	}},
	"hstrlen": {min: 1, max: 1, run: func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if err != nil {
			return nil, err
		}
		v, _ := e.field(x.args[0])
		return int64(len(v)), nil
	}},
	"hincrby": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		by, err := x.int(1)
		if err != nil {
			return nil, err
		}
		e, err := x.create(KindHash)
		if err != nil {
			return nil, err
		}
		var v int64
		if s, ok := e.Hash[x.args[0]]; ok {
			if v, err = parseInt(s); err != nil {
				return nil, fmt.Errorf("%w: hash value is not an integer", ErrNotInteger)
			}
		}
		if (by > 0 && v > math.MaxInt64-by) || (by < 0 && v < math.MinInt64-by) {
			return nil, fmt.Errorf("%w: increment or decrement would overflow", ErrNotInteger)
		}
		v += by
		e.Hash[x.args[0]], x.dirty = fmt.Sprint(v), true
		return v, nil
	}},
	"hincrbyfloat": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		by, err := parseFloat(x.args[1])
		if err != nil {
			return nil, err
		}
		e, err := x.create(KindHash)
		if err != nil {
			return nil, err
		}
		var v float64
		if s, ok := e.Hash[x.args[0]]; ok {
			if v, err = parseFloat(s); err != nil {
				return nil, fmt.Errorf("%w: hash value is not a float", ErrNotFloat)
			}
		}
		v += by
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%w: increment would produce NaN or Infinity", ErrNotFloat)
		}
		s := formatFloat(v)
		e.Hash[x.args[0]], x.dirty = s, true
		return s, nil
	}},
}

// hset is HSET key field value [field value ...]: how many fields are new.
func hset(x *call) (any, error) {
	if len(x.args)%2 != 0 {
		return nil, fmt.Errorf("%w for hset: fields and values go in pairs", ErrArity)
	}
	e, err := x.create(KindHash)
	if err != nil {
		return nil, err
	}
	added := int64(0)
	for i := 0; i < len(x.args); i += 2 {
		if _, ok := e.Hash[x.args[i]]; !ok {
			added++
		}
		e.Hash[x.args[i]] = x.args[i+1]
	}
	x.dirty = true
	return added, nil
}

// field reads a hash's field; a nil entry has none.
func (e *Entry) field(f string) (string, bool) {
	if e == nil {
		return "", false
	}
	v, ok := e.Hash[f]
	return v, ok
}

// hashItems is HGETALL (fields and values, alternating), HKEYS and HVALS,
// in byte order of the fields.
func hashItems(fields, values bool) func(*call) (any, error) {
	return func(x *call) (any, error) {
		e, err := x.of(KindHash)
		if err != nil {
			return nil, err
		}
		out := []any{}
		if e == nil {
			return out, nil
		}
		for _, f := range slices.Sorted(maps.Keys(e.Hash)) {
			if fields {
				out = append(out, f)
			}
			if values {
				out = append(out, e.Hash[f])
			}
		}
		return out, nil
	}
}
