package runtime

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// solutionLibs is what every program of one revision shares: its modules,
// its global modules in load order and its environment, built once.
type solutionLibs struct {
	modules luaapi.ModuleFinder
	globals []luaapi.GlobalModule
	env     map[string]string
}

func libsOf(c *scripts.Compiled) *solutionLibs {
	l := &solutionLibs{
		modules: func(name string) (*lua.FunctionProto, bool) {
			p, ok := c.Modules[name]
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
