package scripts

import (
	"crypto/sha256"

	lua "github.com/yuin/gopher-lua"
)

// chunkKey names a compiled chunk by what it was compiled from: the
// SHA-256 of its chunk name and source. A deploy compiles only the chunks
// whose key the running revision does not have; compiling was most of what
// a deploy cost, so changing one endpoint of a thousand compiled a
// thousand.
type chunkKey [sha256.Size]byte

// compiledChunk is a chunk compiled once. A FunctionProto is immutable
// once compiled, so revisions share it.
type compiledChunk struct {
	proto *lua.FunctionProto
	// returns is whether the chunk's top level returns a value: a module
	// that does not is a global module.
	returns bool
}

// reuse is what a compile may take from the running revision.
type reuse struct {
	prev *Compiled // nil for none
	next *Compiled
	buf  []byte // the bytes hashed for a key, reused
}

// chunk compiles prologue+src under name, or takes the chunk the running
// revision compiled from the same, and keeps it for the next revision.
func (r *reuse) chunk(name, prologue, src string) (compiledChunk, error) {
	r.buf = append(append(append(append(r.buf[:0], name...), 0), prologue...), src...)
	k := chunkKey(sha256.Sum256(r.buf))
	if r.prev != nil {
		if cc, ok := r.prev.chunks[k]; ok {
			r.next.chunks[k] = cc
			return cc, nil
		}
	}
	proto, chunk, err := compileChunk(name, prologue+src)
	if err != nil {
		return compiledChunk{}, err
	}
	cc := compiledChunk{proto: proto, returns: returnsValue(chunk)}
	r.next.chunks[k] = cc
	return cc, nil
}

// pattern parses e's path, or takes the running revision's parse of it.
func (r *reuse) pattern(e Endpoint) (Pattern, error) {
	if r.prev != nil {
		if e.IsHTTP() {
			if i, ok := r.prev.byKey[e.Key()]; ok {
				return r.prev.HTTP[i].Pattern, nil
			}
		} else if i, ok := r.prev.byPath[e.Path]; ok {
			return r.prev.Endpoints[i].Pattern, nil
		}
	}
	return ParsePattern(e.Path)
}
