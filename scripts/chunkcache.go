package scripts

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/internal/yield"
)

// chunkKey names a compiled module chunk by what it was compiled from: the
// SHA-256 of its chunk name and source. A deploy compiles only the chunks
// whose key the running revision does not have.
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

// endpoints compiles the solution's endpoints into r.next, taking from
// r.prev what did not change, and returns their problems and warnings in
// the solution's order.
func (r *reuse) endpoints(rc *resolvedConfig) (problems, warnings Problems) {
	c, prev, sol := r.next, r.prev, &r.next.Solution
	// The routes are checked only when the endpoints' keys are not the
	// running revision's: then they are its routes, which fit one router.
	sameKeys := prev != nil && len(sol.Endpoints) == len(prev.Endpoints)+len(prev.HTTP)
	nHTTP := 0
	for _, e := range sol.Endpoints {
		if e.IsHTTP() {
			nHTTP++
		}
		p, _ := r.prevEndpoint(e)
		sameKeys = sameKeys && p != nil
	}
	var routes []endpointRoute
	if !sameKeys {
		routes = make([]endpointRoute, 0, len(sol.Endpoints))
	}
	c.Endpoints = make([]*CompiledEndpoint, 0, len(sol.Endpoints)-nHTTP)
	c.HTTP = make([]*CompiledEndpoint, 0, nHTTP)
	seen := newKeySet(prev)
	var y yield.Paced
	for _, ep := range sol.Endpoints {
		y.Step()
		e := *ep
		key := e.Key()
		p, at := r.prevEndpoint(ep)
		var pat Pattern
		if p != nil {
			pat = p.Pattern
		} else {
			var err error
			if pat, err = ParsePattern(e.Path); err != nil {
				problems = append(problems, Problem{File: Elide(key), Message: err.Error()})
				continue
			}
		}
		if e.IsHTTP() && !slices.Contains(HTTPMethods, e.Method) {
			problems = append(problems, Problem{File: Elide(key), Message: fmt.Sprintf(
				"method %s is not supported: the methods are %s, %s", Elide(e.Method), MethodWebSocket, strings.Join(HTTPMethods, ", "))})
			continue
		}
		if seen.add(key, p, at) {
			problems = append(problems, Problem{File: key, Message: "endpoint declared twice"})
			continue
		}
		if routes != nil {
			routes = append(routes, endpointRoute{RouteMethod(e), pat})
		}
		chunk, pad := sol.chunk("endpoint", key)
		var ce *CompiledEndpoint
		if r.samePolicies && p.sameSource(e, chunk, pad) {
			ce = p
			if p.Endpoint != e {
				cp := *p
				cp.Endpoint, cp.gen = e, c.gen
				ce = &cp
			}
		} else {
			var more Problems
			ce, more = derive(p, e, chunk, pad, rc, sol.Modules)
			problems = append(problems, more...)
			ce.Pattern, ce.gen = pat, c.gen
		}
		warnings = append(warnings, ce.warnings...)
		if e.IsHTTP() {
			c.HTTP = append(c.HTTP, ce)
		} else {
			c.Endpoints = append(c.Endpoints, ce)
		}
	}
	if sameKeys {
		c.routeSet = prev.routeSet
	} else {
		c.routeSet = routeSets.Add(1)
		problems = append(problems, routeConflicts(routes)...)
	}
	var prevWS, prevHTTP []*CompiledEndpoint
	var prevByPath, prevByKey map[string]int
	if prev != nil {
		prevWS, prevHTTP, prevByPath, prevByKey = prev.Endpoints, prev.HTTP, prev.byPath, prev.byKey
	}
	c.byPath = index(c.Endpoints, prevWS, prevByPath, func(e *CompiledEndpoint) string { return e.Path })
	c.byKey = index(c.HTTP, prevHTTP, prevByKey, (*CompiledEndpoint).Key)
	return problems, warnings
}

// index maps each of eps' keys to its place, taking prevIndex, the
// previous revision's for prevEps, when eps have the same keys in the same
// order.
func index(eps, prevEps []*CompiledEndpoint, prevIndex map[string]int, keyOf func(*CompiledEndpoint) string) map[string]int {
	if prevIndex != nil && len(eps) == len(prevEps) {
		same := true
		for i, e := range eps {
			if e != prevEps[i] && keyOf(e) != keyOf(prevEps[i]) {
				same = false
				break
			}
		}
		if same {
			return prevIndex
		}
	}
	m := make(map[string]int, len(eps))
	for i, e := range eps {
		m[keyOf(e)] = i
	}
	return m
}

// prevEndpoint is the running revision's endpoint with e's key and its
// place among the running revision's endpoints of its kind; nil when there
// is none.
func (r *reuse) prevEndpoint(e *Endpoint) (*CompiledEndpoint, int) {
	if r.prev == nil {
		return nil, 0
	}
	if e.IsHTTP() {
		if i, ok := r.prev.byKey[e.Key()]; ok {
			return r.prev.HTTP[i], i
		}
		return nil, 0
	}
	if i, ok := r.prev.byPath[e.Path]; ok {
		return r.prev.Endpoints[i], i
	}
	return nil, 0
}

// sameSource reports whether p, which may be nil, was compiled from e's
// script under the same chunk name and padding.
func (p *CompiledEndpoint) sameSource(e Endpoint, chunkName, pad string) bool {
	return p != nil && p.Script == e.Script && p.chunkName == chunkName && p.pad == pad
}

// keySet tells an endpoint key met twice: those of the running revision
// by their place in it, the others in a map made for the first.
type keySet struct {
	ws, http []bool
	others   map[string]bool
}

func newKeySet(prev *Compiled) keySet {
	if prev == nil {
		return keySet{}
	}
	return keySet{ws: make([]bool, len(prev.Endpoints)), http: make([]bool, len(prev.HTTP))}
}

// add adds key, of the running revision's endpoint p at its place at
// (p nil for none), and reports whether it was there already.
func (s *keySet) add(key string, p *CompiledEndpoint, at int) bool {
	if p != nil {
		marks := s.ws
		if p.IsHTTP() {
			marks = s.http
		}
		was := marks[at]
		marks[at] = true
		return was
	}
	if s.others == nil {
		s.others = map[string]bool{}
	}
	was := s.others[key]
	s.others[key] = true
	return was
}

// chunk compiles the module source src under name, or takes the chunk the
// running revision compiled from the same, and keeps it for the next
// revision.
func (r *reuse) chunk(name, src string) (compiledChunk, error) {
	r.buf = append(append(r.buf[:0], name...), 0)
	r.buf = append(r.buf, src...)
	k := chunkKey(sha256.Sum256(r.buf))
	if r.prev != nil {
		if cc, ok := r.prev.chunks[k]; ok {
			r.next.chunks[k] = cc
			return cc, nil
		}
	}
	proto, returns, err := compileChunk(name, src)
	if err != nil {
		return compiledChunk{}, err
	}
	cc := compiledChunk{proto: proto, returns: returns}
	r.next.chunks[k] = cc
	return cc, nil
}
