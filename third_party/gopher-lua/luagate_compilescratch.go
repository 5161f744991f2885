package lua

import (
	"sync"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/internal/slab"
)

// A compileScratch is what compiling one chunk needs only while it runs:
// the contexts of its functions, their blocks and name pools, and the
// arrays their protos' slices grow in. Upstream allocated all of it for
// every chunk, about 1 KB of garbage for a one-line script; a scratch
// comes from a pool and goes back once its chunk is compiled, keeping its
// arrays and dropping what they held.
type compileScratch struct {
	funcs    slab.Slab[funcContext]
	blocks   slab.Slab[codeBlock]
	pools    slab.Slab[varNamePool]
	parlist  ast.ParList
	funcexpr ast.FunctionExpr
}

var compileScratches = sync.Pool{New: func() any { return new(compileScratch) }}

func getCompileScratch() *compileScratch { return compileScratches.Get().(*compileScratch) }

// putCompileScratch returns s to the pool. Nothing compiled with it may
// hold on to it: finishProto copied every function's slices out.
func putCompileScratch(s *compileScratch) {
	s.funcs.Release(func(fc *funcContext) {
		if fc.Code != nil { // a compile error ended it before finishProto
			fc.protoBufs.reclaim(fc.Proto)
			codeStores.Put(fc.Code)
		}
		clear(fc.Blocks)
		*fc = funcContext{Blocks: fc.Blocks[:0], labelPc: fc.labelPc[:0], protoBufs: fc.protoBufs}
	})
	s.blocks.Reset()
	s.pools.Release(func(vp *varNamePool) {
		clear(vp.names)
		*vp = varNamePool{names: vp.names[:0]}
	})
	s.parlist, s.funcexpr = ast.ParList{}, ast.FunctionExpr{}
	compileScratches.Put(s)
}

// protoBufs are the arrays a function's proto grows its slices in while
// it is compiled.
type protoBufs struct {
	constants []LValue
	protos    []*FunctionProto
	locals    []*DbgLocalInfo
	calls     []DbgCall
}

// lend starts p's slices in the arrays.
func (b *protoBufs) lend(p *FunctionProto) {
	p.Constants, p.FunctionPrototypes = b.constants[:0], b.protos[:0]
	p.DbgLocals, p.DbgCalls = b.locals[:0], b.calls[:0]
}

// copyOut gives p slices of their own, and takes back the arrays they
// grew in.
func (b *protoBufs) copyOut(p *FunctionProto) {
	p.Constants = copyOut(p.Constants, &b.constants)
	p.FunctionPrototypes = copyOut(p.FunctionPrototypes, &b.protos)
	p.DbgLocals = copyOut(p.DbgLocals, &b.locals)
	p.DbgCalls = copyOut(p.DbgCalls, &b.calls)
}

// reclaim takes back the arrays p's slices grew in, for a p that is
// dropped.
func (b *protoBufs) reclaim(p *FunctionProto) {
	b.constants, b.protos = cleared(p.Constants), cleared(p.FunctionPrototypes)
	b.locals, b.calls = cleared(p.DbgLocals), cleared(p.DbgCalls)
}

// copyOut returns a copy of s, and gives *buf the array s is in, cleared.
func copyOut[S ~[]E, E any](s S, buf *S) S {
	c := copied(s)
	*buf = cleared(s)
	return c
}

func cleared[S ~[]E, E any](s S) S {
	clear(s)
	return s[:0]
}
