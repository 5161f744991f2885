package runtime

import (
	"maps"
	"slices"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// solutionLibs is what every program of one revision shares: its modules,
// its global modules in load order and its environment, built once.
type solutionLibs struct {
	// protos are the modules modules finds.
	protos  map[string]*lua.FunctionProto
	modules luaapi.ModuleFinder
	globals []luaapi.GlobalModule
	env     map[string]string
}

func libsOf(c *scripts.Compiled) *solutionLibs {
	modules := c.Modules
	l := &solutionLibs{
		protos: modules,
		modules: func(name string) (*lua.FunctionProto, bool) {
			p, ok := modules[name]
			return p, ok
		},
		env: c.Env,
	}
	for _, name := range c.Globals {
		l.globals = append(l.globals, luaapi.GlobalModule{Name: name, Proto: c.Modules[name]})
	}
	return l
}

// program is proto as a program of the revision; call names the global
// function to call, as for the custom event handler.
func (l *solutionLibs) program(proto *lua.FunctionProto, call string) *luaapi.Program {
	return &luaapi.Program{Proto: proto, Call: call, Modules: l.modules, Globals: l.globals, Env: l.env}
}

// same reports whether l and other find the same modules, load the same
// global modules and read the same environment, so that the programs of
// one serve as the other's.
func (l *solutionLibs) same(other *solutionLibs) bool {
	return maps.Equal(l.protos, other.protos) && maps.Equal(l.env, other.env) && slices.Equal(l.globals, other.globals)
}
