package lua

import (
	"maps"
	"slices"
)

// Share makes tb a table whose string keys and values other tables may
// borrow (ShareInto) instead of copying them, until either side writes:
// the writer copies first. A host that builds the same table for many
// executions builds it once, shares it, and hands each execution a table
// of its own that costs one allocation, where setting each key again
// costs several. Share must be called before tb is read by another
// goroutine; tb may then be lent from several goroutines at once, as
// lending only reads it.
func (tb *LTable) Share() {
	tb.sharedValues, tb.sharedKeys = true, true
}

// ShareInto makes dst a table of its own that holds what tb holds: the
// same metatable, keys and values. dst borrows tb's string-keyed part
// until one of them writes to it; the array part and the other keys are
// copied. tb must have been shared (Share). What dst held before is
// dropped.
func (tb *LTable) ShareInto(dst *LTable) {
	var array []LValue
	var dict map[LValue]LValue
	// A record of string keys, the common case, has neither part.
	if len(tb.array) > 0 {
		array = slices.Clone(tb.array)
	}
	if len(tb.dict) > 0 {
		dict = maps.Clone(tb.dict)
	}
	*dst = LTable{
		Metatable:    tb.Metatable,
		array:        array,
		dict:         dict,
		strdict:      tb.strdict,
		idx:          tb.idx,
		sharedValues: true,
		sharedKeys:   true,
	}
}

// ownValues copies the borrowed string values before tb writes to them.
// Every write to strdict calls it first, so it also counts them.
func (tb *LTable) ownValues() {
	tb.stringWrites++
	if tb.sharedValues {
		tb.sharedValues = false
		tb.strdict = maps.Clone(tb.strdict)
	}
}

// ownKeys copies the borrowed key index before tb adds a key to it. The
// keys slice is capped at its length rather than copied, so that
// appending to it reallocates.
func (tb *LTable) ownKeys() {
	if tb.sharedKeys {
		tb.sharedKeys = false
		ix := tb.idx
		tb.idx = &keyIndex{keys: ix.keys[:len(ix.keys):len(ix.keys)], k2i: maps.Clone(ix.k2i)}
	}
}

// NewTable is LState.CreateTable for a host that builds a table before it
// has a state: a record of its own shared with many states (Share).
func NewTable(acap, hcap int) *LTable { return newLTable(acap, hcap) }
