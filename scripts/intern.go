package scripts

import lua "github.com/yuin/gopher-lua"

// spellings are the names of the fields luaapi sets on the tables an
// execution gets (websocketInfo, request, response) and the values it
// sets them to that scripts compare with, each as a Go literal. The
// linker keeps one copy of a literal's bytes for the whole binary, so
// luaapi's literal and this one are the same string; a script's constants
// are made to share it (lua.FunctionProto.InternStrings), and its reads
// of these fields then find the keys luaapi set by comparing pointers, not
// bytes. luaapi's tests check that the storage is shared.
var spellings = func() map[string]lua.LValue {
	names := []string{
		// websocketInfo
		"uri", "type", "route", "socket_id", "timestamp", "headers", "parameters",
		"message", "message_type", "close_code", "close_reason", "send", "close", "policy",
		"route_key", "route_value", "subprotocol", "user_id", "session_name", "auth", "groups",
		"direction",
		// request and response
		"method", "path", "body", "scheme", "request_id", "code",
		// values
		"open", "data", "data-text", "data-binary", "upstream", "downstream",
	}
	m := make(map[string]lua.LValue, len(names))
	for _, n := range names {
		m[n] = lua.LString(n) // boxed once, so that interning allocates nothing
	}
	return m
}()

// spelling is the shared spelling of s, if it has one.
func spelling(s string) (lua.LValue, bool) {
	v, ok := spellings[s]
	return v, ok
}
