package luaapi

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// print(...) writes one log line tagged with the route, socket and event the
// script is running for, so a line in the server log leads back to its
// connection.
func (vm *VM) print(L *lua.LState) int {
	n := L.GetTop()
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = L.ToStringMeta(L.Get(i)).String()
	}
	msg := strings.Join(parts, "\t")
	if x := vm.cur; x != nil {
		vm.opts.Logger.Info(msg, "source", "lua", "route", x.ev.Conn.Route, "socket_id", x.ev.Conn.ID, "event", x.ev.Type)
	} else {
		vm.opts.Logger.Info(msg, "source", "lua")
	}
	return 0
}
