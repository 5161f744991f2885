package scripts

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// endpointPrologue makes an endpoint script the body of a function of
// (websocketInfo, response), as the platform's routing wrapper does, and
// requestPrologue an HTTP endpoint's the body of one of (request,
// response). Each is put on the script's first line so that line numbers
// stay the script's own.
const (
	endpointPrologue = "local websocketInfo, response = ...; "
	requestPrologue  = "local request, response = ...; "
)

// moduleNameRE keeps module names to the dotted identifiers require uses, so
// a name can never be read as a path.
var moduleNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$`)

// compiles numbers the compiles (Compiled.gen).
var compiles atomic.Uint64

// CompiledEndpoint is an endpoint ready to run.
type CompiledEndpoint struct {
	Endpoint
	Pattern Pattern
	Proto   *lua.FunctionProto
	// Policy is what the endpoint's header lines declare, with the
	// solution's defaults filled in.
	Policy Policy
	// Sum is the script's SHA-256 in hex, as Endpoint.SHA256 returns it,
	// and Doc its documentation lines: what a deploy answers of each
	// endpoint.
	Sum string
	Doc EndpointDoc
	// chunkName and pad are what Proto was compiled under beside the
	// script, and warnings the policy's: with the script, what the next
	// revision checks to take this endpoint as it is, which costs an
	// endpoint that did not change a map lookup and a string comparison
	// (of one pointer, when the script is the running revision's own
	// string) instead of a hash, a parse of its header lines and a policy.
	chunkName, pad string
	warnings       Problems
	// gen is the compile that made it (Compiled.Stamp changes only its
	// own compile's endpoints).
	gen uint64
}

// Compiled is one revision of a solution, checked and compiled once. Its
// protos are immutable and shared by every Lua state that runs them.
type Compiled struct {
	Solution Solution
	// Endpoints are the WebSocket endpoints, HTTP the HTTP ones.
	// A revision shares the endpoints that did not change with the one
	// it was compiled after: they are immutable.
	Endpoints []*CompiledEndpoint
	HTTP      []*CompiledEndpoint
	// CORS is the HTTP endpoints' CORS policy; nil allows no origin.
	CORS *CORSPolicy
	// Modules maps a module name to its compiled chunk.
	Modules map[string]*lua.FunctionProto
	// Handler is the custom event handler's chunk, nil when there is none.
	// A handler deployed as the body of HandlerFunction, as platform
	// projects keep it, is compiled wrapped in the function.
	Handler *lua.FunctionProto
	// Globals names the global modules, sorted: those whose chunk returns
	// nothing, which the platform loads into every script.
	Globals []string
	// Env is the solution's environment with the schema's defaults filled
	// in, for os.getenv.
	Env map[string]string
	// Init is InitFile's chunk, nil when there is none.
	Init *lua.FunctionProto
	// Warnings are what the solution asks for that luagate leaves out
	// while still deploying it (a --#SECURITY scheme it does not provide),
	// each at its endpoint and line.
	Warnings Problems
	// byPath indexes Endpoints by path: the runtime looks an endpoint up
	// on every connect and, on every deploy, for every open socket. byKey
	// indexes HTTP by Key. Both are shared with the previous revision when
	// its endpoints were the same keys in the same order.
	byPath map[string]int
	byKey  map[string]int
	// chunks are the modules' chunks, for the next revision to take those
	// that did not change (Recompile); an endpoint's is its own.
	chunks map[chunkKey]compiledChunk
	// routeSet names the set of endpoint keys: a revision with the same
	// keys as the running one has its routes.
	routeSet uint64
	// gen numbers this compile among all (CompiledEndpoint.gen).
	gen uint64
}

// HTTPEndpoint returns the compiled HTTP endpoint whose Key is key.
func (c *Compiled) HTTPEndpoint(key string) (*CompiledEndpoint, bool) {
	i, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	return c.HTTP[i], true
}

// EndpointByKey returns the compiled endpoint, WebSocket or HTTP, whose
// Key is key.
func (c *Compiled) EndpointByKey(key string) (*CompiledEndpoint, bool) {
	if ep, ok := c.Endpoint(key); ok {
		return ep, true
	}
	return c.HTTPEndpoint(key)
}

// SameRoutes reports whether c has exactly other's endpoint keys, so that
// the route table built for other serves c: a deploy that changed only
// scripts.
func (c *Compiled) SameRoutes(other *Compiled) bool {
	return other != nil && c.routeSet != 0 && c.routeSet == other.routeSet
}

// EndpointIndex returns the place in Endpoints of the endpoint declared
// with this path.
func (c *Compiled) EndpointIndex(path string) (int, bool) {
	i, ok := c.byPath[path]
	return i, ok
}

// HTTPIndex returns the place in HTTP of the endpoint whose Key is key.
func (c *Compiled) HTTPIndex(key string) (int, bool) {
	i, ok := c.byKey[key]
	return i, ok
}

// Endpoint returns the compiled endpoint declared with this path.
func (c *Compiled) Endpoint(path string) (*CompiledEndpoint, bool) {
	i, ok := c.byPath[path]
	if !ok {
		return nil, false
	}
	return c.Endpoints[i], true
}

// Stamp gives c's compiled endpoints the UpdatedAt of c.Solution's, as
// the store stamped them after the compile. An endpoint shared with the
// revision c was compiled after is copied first.
func (c *Compiled) Stamp() {
	for _, e := range c.Solution.Endpoints {
		eps, m := c.Endpoints, c.byPath
		if e.IsHTTP() {
			eps, m = c.HTTP, c.byKey
		}
		i, ok := m[e.Key()]
		if !ok || eps[i].UpdatedAt == e.UpdatedAt {
			continue
		}
		if eps[i].gen != c.gen {
			cp := *eps[i]
			cp.gen = c.gen
			eps[i] = &cp
		}
		eps[i].UpdatedAt = e.UpdatedAt
	}
}

// Compile checks every part of sol and compiles every script. It returns
// Problems listing everything wrong, with line numbers for Lua syntax errors,
// or the compiled revision.
func Compile(sol Solution) (*Compiled, error) { return Recompile(sol, nil) }

// Recompile is Compile, taking from prev, the running revision, every
// chunk whose name and source have not changed instead of compiling it
// again. prev may be nil.
func Recompile(sol Solution, prev *Compiled) (*Compiled, error) {
	c, warnings, err := compile(sol, prev)
	if err != nil {
		return nil, err
	}
	c.Warnings = warnings
	return c, nil
}

// RecompileOwned is Recompile for a caller that gives sol up: the
// revision keeps sol's slices and maps rather than a copy of them (a
// change of one endpoint of a thousand copied a thousand), so the caller
// must not change them afterwards. It sorts sol's endpoints in place.
func RecompileOwned(sol Solution, prev *Compiled) (*Compiled, error) {
	sol.Normalize()
	c, warnings, err := compileOwned(sol, prev)
	if err != nil {
		return nil, err
	}
	c.Warnings = warnings
	return c, nil
}

// compile is Recompile, also returning the warnings when there are
// problems.
func compile(sol Solution, prev *Compiled) (*Compiled, Problems, error) {
	if err := checkCounts(sol); err != nil {
		return nil, nil, err
	}
	return compileOwned(sol.DeepClone(), prev)
}

// compileOwned is compile of a normalized sol the revision may keep.
func compileOwned(sol Solution, prev *Compiled) (*Compiled, Problems, error) {
	if err := checkCounts(sol); err != nil {
		return nil, nil, err
	}
	c := &Compiled{
		Solution: sol,
		Modules:  make(map[string]*lua.FunctionProto, len(sol.Modules)),
		chunks:   make(map[chunkKey]compiledChunk, len(sol.Modules)),
		gen:      compiles.Add(1),
	}
	rc, problems := sol.Config.resolve()
	var more, warnings Problems
	rc.schemes, rc.security, more, warnings = sol.Webservice.resolveSecurity()
	problems = append(problems, more...)
	rc.httpRateLimit, more = sol.Webservice.resolveRateLimit()
	problems = append(problems, more...)
	cors, more := sol.Webservice.resolveCORS()
	problems = append(problems, more...)
	c.CORS = cors
	r := newReuse(prev, c)
	more, warned := r.endpoints(rc)
	problems = append(problems, more...)
	warnings = append(warnings, warned...)
	for _, name := range slices.Sorted(maps.Keys(sol.Modules)) {
		src := sol.Modules[name]
		if err := CheckModuleName(name); err != nil {
			problems = append(problems, Problem{File: Elide(name), Message: err.Error()})
			continue
		}
		chunkName, _ := sol.chunk("module", name)
		cc, err := r.chunk(chunkName, src)
		if err != nil {
			problems = append(problems, asProblem(name, err))
			continue
		}
		c.Modules[name] = cc.proto
		if !cc.returns {
			c.Globals = append(c.Globals, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sol.EventHandlers)) {
		src := sol.EventHandlers[name]
		if name != EventHandlerWebsocketInfo {
			problems = append(problems, Problem{File: Elide(name), Message: fmt.Sprintf("unknown event handler: the only one is %q", EventHandlerWebsocketInfo)})
			continue
		}
		chunkName, _ := sol.chunk("eventhandler", name)
		proto, err := CompileChunk(chunkName, HandlerSource(src))
		if err != nil {
			// A body that does not parse on its own is reported as it
			// is, rather than at the wrapper's closing line.
			if _, own := CompileChunk(chunkName, src); own != nil {
				err = own
			}
			problems = append(problems, asProblem(name, err))
			continue
		}
		c.Handler = proto
	}
	if sol.Init != "" {
		proto, err := CompileChunk(InitFile, sol.Init)
		if err != nil {
			problems = append(problems, asProblem(InitFile, err))
		}
		c.Init = proto
	}
	env, more := sol.checkEnv()
	problems = append(problems, more...)
	c.Env = env
	if err := problems.orNil(); err != nil {
		return nil, warnings, err
	}
	return c, warnings, nil
}

// derive compiles e's script, or takes the chunk prev compiled from the
// same, and parses its policy.
func derive(prev *CompiledEndpoint, e Endpoint, chunkName, pad string, rc *resolvedConfig, modules map[string]string) (*CompiledEndpoint, Problems) {
	var problems Problems
	ce := &CompiledEndpoint{Endpoint: e, chunkName: chunkName, pad: pad}
	if prev.sameSource(e, chunkName, pad) {
		ce.Proto, ce.Sum, ce.Doc = prev.Proto, prev.Sum, prev.Doc
	} else {
		prologue := endpointPrologue
		if e.IsHTTP() {
			prologue = requestPrologue
		}
		proto, err := CompileChunk(chunkName, prologue+pad+e.Script)
		if err != nil {
			problems = append(problems, asProblem(e.Key(), err))
		}
		ce.Proto, ce.Sum, ce.Doc = proto, e.SHA256(), DocOf(e.Script)
	}
	pol, more, warned := endpointPolicy(e, rc, modules)
	ce.Policy, ce.warnings = pol, warned
	return ce, append(problems, more...)
}

// checkCounts refuses a solution with more endpoints or modules than a
// solution may have, before any of them is compiled.
func checkCounts(sol Solution) error {
	var problems Problems
	if n := len(sol.Endpoints); n > MaxEndpoints {
		problems = append(problems, Problem{Message: fmt.Sprintf("%d endpoints: over the limit of %d endpoints in a solution", n, MaxEndpoints)})
	}
	if n := len(sol.Modules); n > MaxModules {
		problems = append(problems, Problem{Message: fmt.Sprintf("%d modules: over the limit of %d modules in a solution", n, MaxModules)})
	}
	return problems.orNil()
}

// CheckModuleName rejects module names require could not load or that could
// be mistaken for a path.
func CheckModuleName(name string) error {
	if len(name) > MaxNameBytes {
		return fmt.Errorf("invalid module name %q: longer than %d bytes, the limit of a module name", Elide(name), MaxNameBytes)
	}
	if !moduleNameRE.MatchString(name) {
		return fmt.Errorf("invalid module name %q: use letters, digits, _ and - in dot-separated parts (src.utils)", name)
	}
	return nil
}

// CompileChunk compiles Lua source under the chunk name name. A syntax error
// comes back as a Problem carrying its line, and so does source nested deeper
// than MaxSyntaxDepth or defining more than MaxFunctions functions, which is
// refused before gopher-lua spends time on it.
func CompileChunk(name, src string) (*lua.FunctionProto, error) {
	proto, _, err := compileChunk(name, src)
	return proto, err
}

// compileChunk is CompileChunk, also reporting whether the chunk ends in
// a return with values (returnsValue).
func compileChunk(name, src string) (proto *lua.FunctionProto, returns bool, err error) {
	if err := scanDepth(name, src); err != nil {
		return nil, false, err
	}
	// The tree is garbage once compiled: it is built in nodes that the
	// next chunk reuses, so that a deploy's parses make little of it.
	nodes := parse.GetNodes()
	defer parse.PutNodes(nodes)
	chunk, err := parse.ParseWith(nodes, strings.NewReader(src), name)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			line := pe.Pos.Line
			msg := pe.Message
			if line == parse.EOF {
				line = strings.Count(src, "\n") + 1
				msg += " at end of script"
			} else if pe.Token != "" {
				msg += fmt.Sprintf(" near '%s'", Elide(pe.Token))
			}
			return nil, false, Problem{File: name, Line: line, Message: msg}
		}
		return nil, false, Problem{File: name, Message: err.Error()}
	}
	if err := checkTree(name, chunk); err != nil {
		return nil, false, err
	}
	proto, err = lua.Compile(chunk, name)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			return nil, false, Problem{File: name, Line: ce.Line, Message: ce.Message}
		}
		return nil, false, Problem{File: name, Message: err.Error()}
	}
	proto.InternStrings(spelling)
	return proto, returnsValue(chunk), nil
}

func asProblem(file string, err error) Problem {
	var p Problem
	if errors.As(err, &p) {
		return p
	}
	return Problem{File: file, Message: err.Error()}
}

// returnsValue reports whether a chunk ends in a return with values: a
// module that does is required; one that does not is a global module.
func returnsValue(chunk []ast.Stmt) bool {
	if len(chunk) == 0 {
		return false
	}
	ret, ok := chunk[len(chunk)-1].(*ast.ReturnStmt)
	return ok && len(ret.Exprs) > 0
}

// handlerDefRE finds a global definition of HandlerFunction.
var handlerDefRE = regexp.MustCompile(`(?m)^[ \t]*(function[ \t]+` + HandlerFunction + `[ \t]*\(|` + HandlerFunction + `[ \t]*=)`)

// HandlerSource is the source an event handler compiles as: src itself
// when it defines HandlerFunction, else src as the body of that function,
// as the platform wraps a handler file. The wrapper opens on src's first
// line, so line numbers stay src's own.
func HandlerSource(src string) string {
	if handlerDefRE.MatchString(src) {
		return src
	}
	end := "\nend"
	if strings.HasSuffix(src, "\n") {
		end = "end"
	}
	return "function " + HandlerFunction + "(websocketInfo) " + src + end
}
