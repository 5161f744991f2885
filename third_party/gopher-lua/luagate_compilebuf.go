package lua

import "sync"

// codeStores holds the instruction and line buffers of functions compiled
// before: a function is compiled into buffers of 1024 of each, which
// upstream allocated for every function and left in its FunctionProto.
var codeStores = sync.Pool{New: func() any {
	return &codeStore{codes: make([]uint32, 0, 1024), lines: make([]int, 0, 1024)}
}}

func newCodeStore() *codeStore {
	cd := codeStores.Get().(*codeStore)
	cd.codes, cd.lines, cd.pc = cd.codes[:0], cd.lines[:0], 0
	return cd
}

// finishProto gives a compiled function slices of their length, its code
// copied out of its codeStore, which goes back to the pool: a revision
// keeps its functions for as long as it runs, and each would otherwise
// keep the capacity it was compiled into. It runs once the function's
// code is final (after patchCode).
func finishProto(fc *funcContext) {
	p := fc.Proto
	// The code and its lines are always copied, even when they fill
	// their buffer: the buffer goes back to the pool, and the next
	// function compiled into it would overwrite this one's code.
	p.Code = copied(fc.Code.List())
	p.DbgSourcePositions = copied(fc.Code.PosList())
	fc.protoBufs.copyOut(p)
	// The upvalues' names are those of a name pool of the scratch.
	p.DbgUpvalues = copied(p.DbgUpvalues)
	codeStores.Put(fc.Code)
	fc.Code = nil
}

// copied is s in a new array of its length; an empty s becomes nil.
func copied[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return append(S(nil), s...)
}
