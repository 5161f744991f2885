package runtime

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// errNoSocket refuses what a module does to its own socket while it loads
// for a check: there is none.
var errNoSocket = errors.New("no socket: the module is loading for a deploy check")

// checkPeer is the socket of a deploy check.
type checkPeer struct{}

func (checkPeer) Send([]byte, bool) error { return errNoSocket }
func (checkPeer) Close() error            { return errNoSocket }

// CheckRoutes loads every module a route of c names, once, in a sandboxed
// state of its own under the script timeout, and refuses a route whose
// module fails to load, does not return a table, or does not export the
// function. The problems are at the --#ROUTE lines.
func (e *Engine) CheckRoutes(c *scripts.Compiled) error {
	needs := map[string][]string{} // module -> functions routes call
	for _, ep := range c.Endpoints {
		for _, r := range ep.Policy.Routes {
			if !slices.Contains(needs[r.Module], r.Function) {
				needs[r.Module] = append(needs[r.Module], r.Function)
			}
		}
	}
	if len(needs) == 0 {
		return nil
	}
	vm := luaapi.NewVM(luaapi.Options{Sockets: e.hub, Logger: e.cfg.Logger})
	defer vm.Close()
	modules := func(name string) (*lua.FunctionProto, bool) {
		p, ok := c.Modules[name]
		return p, ok
	}
	failed := map[string]string{} // module, or module.function -> why
	for _, name := range slices.Sorted(maps.Keys(needs)) {
		missing, err := e.loadForCheck(vm, modules, name, needs[name])
		switch {
		case err != nil:
			failed[name] = err.Error()
		default:
			for _, f := range missing {
				failed[name+"."+f] = fmt.Sprintf("module %s does not export a function %s", name, f)
			}
		}
	}
	var problems scripts.Problems
	for _, ep := range c.Endpoints {
		for _, r := range ep.Policy.Routes {
			why, ok := failed[r.Module]
			if !ok {
				why, ok = failed[r.Module+"."+r.Function]
			}
			if ok {
				problems = append(problems, scripts.Problem{File: ep.Path, Line: r.Line,
					Message: fmt.Sprintf("--#ROUTE %s %s.%s: %s", scripts.Elide(r.Key), r.Module, r.Function, why)})
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// loadForCheck requires module name on vm and returns which of fns it does
// not export as functions.
func (e *Engine) loadForCheck(vm *luaapi.VM, modules luaapi.ModuleFinder, name string, fns []string) ([]string, error) {
	quoted := make([]string, len(fns))
	for i, f := range fns {
		quoted[i] = fmt.Sprintf("%q", f)
	}
	src := fmt.Sprintf(`local m = require(%q)
if type(m) ~= "table" then return "\0" .. type(m) end
local missing = {}
for _, f in ipairs({%s}) do
  if type(m[f]) ~= "function" then missing[#missing + 1] = f end
end
return table.concat(missing, ",")`, name, strings.Join(quoted, ", "))
	proto, err := scripts.CompileChunk("check of "+name, src)
	if err != nil {
		return nil, fmt.Errorf("check module %s: %w", name, err)
	}
	var reply string
	ev := &luaapi.Event{
		Type: luaapi.EventOpen,
		Conn: luaapi.NewConn(luaapi.Conn{ID: "deploy-check", Route: "deploy-check"}),
		Peer: checkPeer{},
		Reply: func(msg []byte, _ bool) error {
			reply = string(msg)
			return nil
		},
	}
	if err := vm.RunFor(e.cfg.ScriptTimeout, &luaapi.Program{Proto: proto, Modules: modules}, ev); err != nil {
		return nil, fmt.Errorf("module %s failed to load: %w", name, err)
	}
	if typ, ok := strings.CutPrefix(reply, "\x00"); ok {
		return nil, fmt.Errorf("module %s returns a %s, not a table of functions", name, typ)
	}
	if reply == "" {
		return nil, nil
	}
	return strings.Split(reply, ","), nil
}
