package lua

// The key index (keys, the hash part's keys in the order Next walks them,
// and k2i, each key's place in keys) is built at a table's first Next, not
// kept from its first key on: most tables are never walked, and indexing
// each key cost a boxed key, an entry in k2i and an append to keys, most of
// the allocations of a small table such as a function's argument table.
// Once built, the index is kept up to date as upstream keeps it, so a walk
// may clear fields as it goes. A table that was never walked is walked in
// the order of Go's maps, not in the order its keys were set; Lua promises
// no order.

// index builds tb's key index from what its hash part holds.
func (tb *LTable) index() {
	tb.sharedKeys = false
	tb.keys = make([]LValue, 0, len(tb.strdict)+len(tb.dict))
	tb.k2i = make(map[LValue]int, cap(tb.keys))
	for k := range tb.strdict {
		tb.k2i[LString(k)] = len(tb.keys)
		tb.keys = append(tb.keys, LString(k))
	}
	for k := range tb.dict {
		tb.k2i[k] = len(tb.keys)
		tb.keys = append(tb.keys, k)
	}
}

// indexKey adds key to tb's key index unless it is there.
func (tb *LTable) indexKey(key LValue) {
	if _, ok := tb.k2i[key]; !ok {
		tb.ownKeys()
		tb.k2i[key] = len(tb.keys)
		tb.keys = append(tb.keys, key)
	}
}
