package scripts

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// endpointPrologue makes an endpoint script the body of a function of
// (websocketInfo, response), as the platform's routing wrapper does. It is
// put on the script's first line so that line numbers stay the script's own.
const endpointPrologue = "local websocketInfo, response = ...; "

// moduleNameRE keeps module names to the dotted identifiers require uses, so
// a name can never be read as a path.
var moduleNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$`)

// CompiledEndpoint is an endpoint ready to run.
type CompiledEndpoint struct {
	Endpoint
	Pattern Pattern
	Proto   *lua.FunctionProto
}

// Compiled is one revision of a solution, checked and compiled once. Its
// protos are immutable and shared by every Lua state that runs them.
type Compiled struct {
	Solution  Solution
	Endpoints []CompiledEndpoint
	// Modules maps a module name to its compiled chunk.
	Modules map[string]*lua.FunctionProto
	// Handler is the custom event handler's chunk, nil when there is none.
	Handler *lua.FunctionProto
}

// Endpoint returns the compiled endpoint declared with this path.
func (c *Compiled) Endpoint(path string) (*CompiledEndpoint, bool) {
	for i := range c.Endpoints {
		if c.Endpoints[i].Path == path {
			return &c.Endpoints[i], true
		}
	}
	return nil, false
}

// Compile checks every part of sol and compiles every script. It returns
// Problems listing everything wrong, with line numbers for Lua syntax errors,
// or the compiled revision.
func Compile(sol Solution) (*Compiled, error) {
	sol = sol.Clone()
	c := &Compiled{Solution: sol, Modules: make(map[string]*lua.FunctionProto, len(sol.Modules))}
	var problems Problems
	seen := map[string]bool{}
	var patterns []Pattern
	for _, e := range sol.Endpoints {
		pat, err := ParsePattern(e.Path)
		if err != nil {
			problems = append(problems, Problem{File: e.Path, Message: err.Error()})
			continue
		}
		if seen[e.Path] {
			problems = append(problems, Problem{File: e.Path, Message: "endpoint declared twice"})
			continue
		}
		seen[e.Path] = true
		patterns = append(patterns, pat)
		proto, err := CompileChunk(e.Path, endpointPrologue+e.Script)
		if err != nil {
			problems = append(problems, asProblem(e.Path, err))
			continue
		}
		c.Endpoints = append(c.Endpoints, CompiledEndpoint{Endpoint: e, Pattern: pat, Proto: proto})
	}
	// Add the patterns one at a time, so that every conflict is reported,
	// not only the first.
	var routable []Pattern
	for _, pat := range patterns {
		if err := CheckRoutes(append(routable, pat)); err != nil {
			problems = append(problems, Problem{Message: err.Error()})
			continue
		}
		routable = append(routable, pat)
	}
	for _, name := range slices.Sorted(maps.Keys(sol.Modules)) {
		src := sol.Modules[name]
		if err := CheckModuleName(name); err != nil {
			problems = append(problems, Problem{File: name, Message: err.Error()})
			continue
		}
		proto, err := CompileChunk(name, src)
		if err != nil {
			problems = append(problems, asProblem(name, err))
			continue
		}
		c.Modules[name] = proto
	}
	for _, name := range slices.Sorted(maps.Keys(sol.EventHandlers)) {
		src := sol.EventHandlers[name]
		if name != EventHandlerWebsocketInfo {
			problems = append(problems, Problem{File: name, Message: fmt.Sprintf("unknown event handler: the only one is %q", EventHandlerWebsocketInfo)})
			continue
		}
		proto, err := CompileChunk(name, src)
		if err != nil {
			problems = append(problems, asProblem(name, err))
			continue
		}
		c.Handler = proto
	}
	if err := problems.orNil(); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckModuleName rejects module names require could not load or that could
// be mistaken for a path.
func CheckModuleName(name string) error {
	if !moduleNameRE.MatchString(name) {
		return fmt.Errorf("invalid module name %q: use letters, digits, _ and - in dot-separated parts (src.utils)", name)
	}
	return nil
}

// CompileChunk compiles Lua source under the chunk name name. A syntax error
// comes back as a Problem carrying its line.
func CompileChunk(name, src string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			line := pe.Pos.Line
			msg := pe.Message
			if line == parse.EOF {
				line = strings.Count(src, "\n") + 1
				msg += " at end of script"
			} else if pe.Token != "" {
				msg += fmt.Sprintf(" near '%s'", pe.Token)
			}
			return nil, Problem{File: name, Line: line, Message: msg}
		}
		return nil, Problem{File: name, Message: err.Error()}
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			return nil, Problem{File: name, Line: ce.Line, Message: ce.Message}
		}
		return nil, Problem{File: name, Message: err.Error()}
	}
	return proto, nil
}

func asProblem(file string, err error) Problem {
	var p Problem
	if errors.As(err, &p) {
		return p
	}
	return Problem{File: file, Message: err.Error()}
}
