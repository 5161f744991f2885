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

// CheckRoutes loads every module a route or a script check of c names, once, in a sandboxed
// state of its own under the script timeout, and refuses a route whose
// module fails to load, does not return a table, or does not export the
// function. The problems are at the --#ROUTE and --#SECURITY lines. It
// also loads the global modules, which every script runs first, and
// refuses one that fails.
func (e *Engine) CheckRoutes(c *scripts.Compiled) error {
	if err := e.checkGlobals(c); err != nil {
		return err
	}
	needs := map[string][]string{} // module -> functions routes call
	for _, ep := range c.Endpoints {
		for _, t := range targets(ep.Policy) {
			if !slices.Contains(needs[t.module], t.function) {
				needs[t.module] = append(needs[t.module], t.function)
			}
		}
	}
	if len(needs) == 0 {
		return nil
	}
	vm := luaapi.NewVM(luaapi.Options{Sockets: e.hub, Keystore: luaKeystoreOf(e.cfg.Keystore), Logger: e.cfg.Logger})
	defer vm.Close()
	libs := libsOf(c)
	failed := map[string]string{} // module, or module.function -> why
	for _, name := range slices.Sorted(maps.Keys(needs)) {
		missing, err := e.loadForCheck(vm, libs, name, needs[name])
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
		for _, t := range targets(ep.Policy) {
			why, ok := failed[t.module]
			if !ok {
				why, ok = failed[t.module+"."+t.function]
			}
			if ok {
				problems = append(problems, scripts.Problem{File: ep.Path, Line: t.line,
					Message: fmt.Sprintf("%s %s.%s: %s", t.header, t.module, t.function, why)})
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// target is a module function an endpoint's header line calls.
type target struct {
	header, module, function string
	line                     int
}

// targets lists the functions p's --#ROUTE and --#SECURITY script lines
// call.
func targets(p scripts.Policy) []target {
	var out []target
	for _, r := range p.Routes {
		out = append(out, target{"--#ROUTE " + scripts.Elide(r.Key), r.Module, r.Function, r.Line})
	}
	if sec := p.Security; sec != nil && sec.Scheme == scripts.SecurityScript {
		out = append(out, target{"--#SECURITY script", sec.Module, sec.Function, sec.Line})
	}
	return out
}

// loadForCheck requires module name on vm and returns which of fns it does
// not export as functions.
func (e *Engine) loadForCheck(vm *luaapi.VM, libs *solutionLibs, name string, fns []string) ([]string, error) {
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
	if err := vm.RunFor(e.cfg.ScriptTimeout, libs.program(proto, ""), ev); err != nil {
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

// checkGlobals runs c's global modules once, as every execution will, and
// refuses the solution when one fails, naming it.
func (e *Engine) checkGlobals(c *scripts.Compiled) error {
	if len(c.Globals) == 0 {
		return nil
	}
	proto, err := scripts.CompileChunk("check of global modules", "return")
	if err != nil {
		return fmt.Errorf("check global modules: %w", err)
	}
	err = e.runAlone(c, proto, "deploy-check")
	if err == nil {
		return nil
	}
	p := scripts.Problem{Message: "global module failed to load: " + err.Error()}
	for _, name := range c.Globals {
		if strings.HasPrefix(err.Error(), name+":") {
			p.File = name
		}
	}
	return scripts.Problems{p}
}

// runAlone runs proto as a program of c on a state of its own, with no
// socket, under the script timeout; what it prints is logged with route.
func (e *Engine) runAlone(c *scripts.Compiled, proto *lua.FunctionProto, route string) error {
	vm := luaapi.NewVM(luaapi.Options{Sockets: e.hub, Logger: e.cfg.Logger})
	defer vm.Close()
	ev := &luaapi.Event{Type: luaapi.EventOpen, Peer: checkPeer{},
		Conn:  luaapi.NewConn(luaapi.Conn{ID: route, Route: route}),
		Reply: func([]byte, bool) error { return nil }}
	return vm.RunFor(e.cfg.ScriptTimeout, libsOf(c).program(proto, ""), ev)
}

// RunInit runs c's init script, if it has one, once. Its output is logged
// as any script's, under the route init.lua; its failure is returned and
// changes nothing else.
func (e *Engine) RunInit(c *scripts.Compiled) error {
	if c.Init == nil {
		return nil
	}
	if err := e.runAlone(c, c.Init, scripts.InitFile); err != nil {
		return fmt.Errorf("%s failed: %w", scripts.InitFile, err)
	}
	return nil
}
