package lua

// The key index (keyIndex) is built at a table's first Next, not
// kept from its first key on: most tables are never walked, and indexing
// each key cost a boxed key, an entry in k2i and an append to keys, most of
// the allocations of a small table such as a function's argument table.
// Once built, the index is kept up to date as upstream keeps it, so a walk
// may clear fields as it goes. A table that was never walked is walked in
// the order of Go's maps, not in the order its keys were set; Lua promises
// no order.

// keyIndex is a table's key index, behind one pointer so that the tables
// never walked, most of them, spend 8 bytes on it rather than 32.
type keyIndex struct {
	// keys are the hash part's keys in the order Next walks them.
	keys []LValue
	// k2i is each key's place in keys.
	k2i map[LValue]int
}

// index builds tb's key index from what its hash part holds.
func (tb *LTable) index() {
	tb.sharedKeys = false
	n := len(tb.strdict) + len(tb.dict)
	ix := &keyIndex{keys: make([]LValue, 0, n), k2i: make(map[LValue]int, n)}
	for k := range tb.strdict {
		ix.k2i[LString(k)] = len(ix.keys)
		ix.keys = append(ix.keys, LString(k))
	}
	for k := range tb.dict {
		ix.k2i[k] = len(ix.keys)
		ix.keys = append(ix.keys, k)
	}
	tb.idx = ix
}

// indexKey adds key to tb's key index unless it is there.
func (tb *LTable) indexKey(key LValue) {
	if _, ok := tb.idx.k2i[key]; !ok {
		tb.ownKeys()
		tb.idx.k2i[key] = len(tb.idx.keys)
		tb.idx.keys = append(tb.idx.keys, key)
	}
}
