package scripts

import (
	"crypto/sha256"
	"maps"
	"reflect"

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

// derivedEndpoint is everything a compile derives from one endpoint's
// own source, kept by the endpoint's key for the next revision: with it,
// an endpoint that did not change costs a map lookup and a string
// comparison (of one pointer, when the script is the running revision's
// own string) instead of a hash, a parse of its header lines and a
// policy.
type derivedEndpoint struct {
	// script, chunkName and pad are what the rest was derived from,
	// beside the endpoint's key.
	script, chunkName, pad string
	key                    chunkKey
	chunk                  compiledChunk
	policy                 Policy
	// warnings are the policy's, at the endpoint; there were no problems,
	// or the revision would not be running.
	warnings Problems
	// sum is the script's SHA-256 in hex, doc its documentation lines.
	sum string
	doc EndpointDoc
}

// reuse is what a compile may take from the running revision.
type reuse struct {
	prev *Compiled // nil for none
	next *Compiled
	buf  []byte // the bytes hashed for a key, reused
	// samePolicies is whether an endpoint's policy is derived from the
	// same solution-wide parts as in prev (configuration, webservice,
	// module names), so that it depends on the endpoint alone.
	samePolicies bool
}

func newReuse(prev, next *Compiled) reuse {
	r := reuse{prev: prev, next: next}
	if prev != nil {
		p, n := &prev.Solution, &next.Solution
		r.samePolicies = reflect.DeepEqual(p.Config, n.Config) && reflect.DeepEqual(p.Webservice, n.Webservice) &&
			len(p.Modules) == len(n.Modules) && allIn(maps.Keys(n.Modules), p.Modules)
	}
	return r
}

func allIn(keys func(func(string) bool), m map[string]string) bool {
	for k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// endpoint takes what the running revision derived from e when e, its
// chunk name and padding are as they were and so is what its policy
// depends on beyond it; nil otherwise.
func (r *reuse) endpoint(e Endpoint, chunkName, pad string) *derivedEndpoint {
	if r.prev == nil || !r.samePolicies {
		return nil
	}
	d := r.prev.derived[e.Key()]
	if d == nil || d.script != e.Script || d.chunkName != chunkName || d.pad != pad {
		return nil
	}
	r.keep(e.Key(), d)
	return d
}

// keep keeps d, derived from the endpoint at key, for the next revision.
func (r *reuse) keep(key string, d *derivedEndpoint) {
	r.next.derived[key] = d
	r.next.chunks[d.key] = d.chunk
}

// chunk compiles prologue+src under name, or takes the chunk the running
// revision compiled from the same, and keeps it for the next revision.
func (r *reuse) chunk(name, prologue, src string) (chunkKey, compiledChunk, error) {
	r.buf = append(append(append(append(r.buf[:0], name...), 0), prologue...), src...)
	k := chunkKey(sha256.Sum256(r.buf))
	if r.prev != nil {
		if cc, ok := r.prev.chunks[k]; ok {
			r.next.chunks[k] = cc
			return k, cc, nil
		}
	}
	proto, chunk, err := compileChunk(name, prologue+src)
	if err != nil {
		return k, compiledChunk{}, err
	}
	cc := compiledChunk{proto: proto, returns: returnsValue(chunk)}
	r.next.chunks[k] = cc
	return k, cc, nil
}

// pattern parses e's path, or takes the running revision's parse of it,
// reporting whether the running revision has e's key.
func (r *reuse) pattern(e Endpoint) (Pattern, bool, error) {
	if r.prev != nil {
		if e.IsHTTP() {
			if i, ok := r.prev.byKey[e.Key()]; ok {
				return r.prev.HTTP[i].Pattern, true, nil
			}
		} else if i, ok := r.prev.byPath[e.Path]; ok {
			return r.prev.Endpoints[i].Pattern, true, nil
		}
	}
	p, err := ParsePattern(e.Path)
	return p, false, err
}
