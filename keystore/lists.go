package keystore

import (
	"fmt"
	"slices"
	"strings"
)

var listCommands = map[string]command{
	"lpush":  {min: 1, max: -1, write: true, run: push(true, false)},
	"rpush":  {min: 1, max: -1, write: true, run: push(false, false)},
	"lpushx": {min: 1, max: -1, write: true, run: push(true, true)},
	"rpushx": {min: 1, max: -1, write: true, run: push(false, true)},
	"lpop":   {max: 1, write: true, run: pop(true)},
	"rpop":   {max: 1, write: true, run: pop(false)},
	"llen": {run: func(x *call) (any, error) {
		e, err := x.of(KindList)
		if e == nil || err != nil {
			return int64(0), err
		}
		return int64(len(e.List)), nil
	}},
	"lrange": {min: 2, max: 2, run: func(x *call) (any, error) {
		start, stop, err := x.bounds()
		if err != nil {
			return nil, err
		}
		e, err := x.of(KindList)
		if err != nil {
			return nil, err
		}
		out := []any{}
		if e == nil {
			return out, nil
		}
		if lo, hi, ok := span(start, stop, len(e.List)); ok {
			for _, s := range e.List[lo : hi+1] {
				out = append(out, s)
			}
		}
		return out, nil
	}},
	"lindex": {min: 1, max: 1, run: func(x *call) (any, error) {
		i, err := x.int(0)
		if err != nil {
			return nil, err
		}
		e, err := x.of(KindList)
		if e == nil || err != nil {
			return nil, err
		}
		if j, ok := index(i, len(e.List)); ok {
			return e.List[j], nil
		}
		return nil, nil
	}},
	"lset": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		i, err := x.int(0)
		if err != nil {
			return nil, err
		}
		e, err := x.of(KindList)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, ErrNoSuchKey
		}
		j, ok := index(i, len(e.List))
		if !ok {
			return nil, ErrIndexRange
		}
		e.List[j], x.dirty = x.args[1], true
		return "OK", nil
	}},
	"lrem": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		count, err := x.int(0)
		if err != nil {
			return nil, err
		}
		e, err := x.of(KindList)
		if e == nil || err != nil {
			return int64(0), err
		}
		v, removed := x.args[1], int64(0)
		limit := count
		if limit < 0 {
			limit = -limit
		}
		keep := func(s string) bool {
			if s != v || (limit != 0 && removed == limit) {
				return true
			}
			removed++
			return false
		}
		out := make([]string, 0, len(e.List))
		if count >= 0 {
			for _, s := range e.List {
				if keep(s) {
					out = append(out, s)
				}
			}
		} else {
			for i := len(e.List) - 1; i >= 0; i-- {
				if keep(e.List[i]) {
					out = append(out, e.List[i])
				}
			}
			slices.Reverse(out)
		}
		e.List, x.dirty = out, removed > 0
		return removed, nil
	}},
	"ltrim": {min: 2, max: 2, write: true, run: func(x *call) (any, error) {
		start, stop, err := x.bounds()
		if err != nil {
			return nil, err
		}
		e, err := x.of(KindList)
		if e == nil || err != nil {
			return "OK", err
		}
		if lo, hi, ok := span(start, stop, len(e.List)); ok {
			e.List = e.List[lo : hi+1]
		} else {
			e.List = nil
		}
		x.dirty = true
		return "OK", nil
	}},
	"linsert": {min: 3, max: 3, write: true, run: func(x *call) (any, error) {
		where := strings.ToUpper(x.args[0])
		if where != "BEFORE" && where != "AFTER" {
			return nil, fmt.Errorf("%w: linsert takes BEFORE or AFTER, not %q", ErrSyntax, x.args[0])
		}
		e, err := x.of(KindList)
		if e == nil || err != nil {
			return int64(0), err
		}
		i := slices.Index(e.List, x.args[1])
		if i < 0 {
			return int64(-1), nil
		}
		if where == "AFTER" {
			i++
		}
		e.List, x.dirty = slices.Insert(e.List, i, x.args[2]), true
		return int64(len(e.List)), nil
	}},
}

// push is LPUSH and RPUSH; with onlyExisting, LPUSHX and RPUSHX.
func push(left, onlyExisting bool) func(*call) (any, error) {
	return func(x *call) (any, error) {
		if onlyExisting {
			if e, err := x.of(KindList); e == nil || err != nil {
				return int64(0), err
			}
		}
		e, err := x.create(KindList)
		if err != nil {
			return nil, err
		}
		if left {
			vs := slices.Clone(x.args)
			slices.Reverse(vs)
			e.List = append(vs, e.List...)
		} else {
			e.List = append(e.List, x.args...)
		}
		x.dirty = true
		return int64(len(e.List)), nil
	}
}

// pop is LPOP and RPOP key [count]: without a count the value or nil, with
// one a list (nil when the key holds nothing).
func pop(left bool) func(*call) (any, error) {
	return func(x *call) (any, error) {
		n, withCount := int64(1), len(x.args) == 1
		if withCount {
			var err error
			if n, err = x.int(0); err != nil || n < 0 {
				return nil, fmt.Errorf("%w: count must be positive", ErrNotInteger)
			}
		}
		e, err := x.of(KindList)
		if e == nil || err != nil {
			return nil, err
		}
		n = min(n, int64(len(e.List)))
		var taken []string
		if left {
			taken, e.List = e.List[:n], e.List[n:]
		} else {
			taken = slices.Clone(e.List[len(e.List)-int(n):])
			slices.Reverse(taken)
			e.List = e.List[:len(e.List)-int(n)]
		}
		x.dirty = n > 0
		if !withCount {
			return taken[0], nil
		}
		out := make([]any, len(taken))
		for i, s := range taken {
			out[i] = s
		}
		return out, nil
	}
}

// index turns a Redis list index, negative from the end, into one of a
// list of n items.
func index(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	return int(i), i >= 0 && i < int64(n)
}
