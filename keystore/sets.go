package keystore

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

var setCommands = map[string]command{
	"sadd": {min: 1, max: -1, write: true, run: func(x *call) (any, error) {
		e, err := x.create(KindSet)
		if err != nil {
			return nil, err
		}
		added := int64(0)
		for _, m := range x.args {
			if _, ok := e.Set[m]; !ok {
				e.Set[m] = struct{}{}
				added++
			}
		}
		x.dirty = added > 0
		return added, nil
	}},
	"srem": {min: 1, max: -1, write: true, run: func(x *call) (any, error) {
		e, err := x.of(KindSet)
		if e == nil || err != nil {
			return int64(0), err
		}
		removed := int64(0)
		for _, m := range x.args {
			if _, ok := e.Set[m]; ok {
				delete(e.Set, m)
				removed++
			}
		}
		x.dirty = removed > 0
		return removed, nil
	}},
	"smembers": {run: func(x *call) (any, error) {
		e, err := x.of(KindSet)
		if err != nil {
			return nil, err
		}
		return members(e), nil
	}},
	"sismember": {min: 1, max: 1, run: func(x *call) (any, error) {
		e, err := x.of(KindSet)
		if e == nil || err != nil {
			return int64(0), err
		}
		_, ok := e.Set[x.args[0]]
		return boolInt(ok), nil
	}},
	"scard": {run: func(x *call) (any, error) {
		e, err := x.of(KindSet)
		if e == nil || err != nil {
			return int64(0), err
		}
		return int64(len(e.Set)), nil
	}},
	"spop":        {max: 1, write: true, run: randomMembers(true)},
	"srandmember": {max: 1, run: randomMembers(false)},
}

// members lists a set's members in byte order.
func members(e *Entry) []any {
	out := []any{}
	if e == nil {
		return out
	}
	for _, m := range slices.Sorted(maps.Keys(e.Set)) {
		out = append(out, m)
	}
	return out
}

// randomMembers is SPOP (remove) and SRANDMEMBER key [count]: without a
// count one member or nil; with one, up to count distinct members, or
// with a negative count -count members that may repeat (SRANDMEMBER only).
func randomMembers(remove bool) func(*call) (any, error) {
	return func(x *call) (any, error) {
		withCount := len(x.args) == 1
		n := int64(1)
		if withCount {
			var err error
			if n, err = x.int(0); err != nil || (remove && n < 0) {
				return nil, fmt.Errorf("%w: count must be positive", ErrNotInteger)
			}
		}
		e, err := x.of(KindSet)
		if err != nil {
			return nil, err
		}
		if e == nil {
			if withCount {
				return []any{}, nil
			}
			return nil, nil
		}
		all := slices.Sorted(maps.Keys(e.Set))
		var picked []string
		if n < 0 {
			for range -n {
				picked = append(picked, all[rand.IntN(len(all))])
			}
		} else {
			rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			picked = all[:min(n, int64(len(all)))]
		}
		if remove {
			for _, m := range picked {
				delete(e.Set, m)
			}
			x.dirty = len(picked) > 0
		}
		if !withCount {
			return picked[0], nil
		}
		out := make([]any, len(picked))
		for i, m := range picked {
			out[i] = m
		}
		return out, nil
	}
}
