package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// infoTemplate is what Websocket.info returns for one connection, built
// once and shared (lua.LTable.Share): each call lends it to tables of the
// call's own, which copy what they borrowed before a script writes to
// them, so no execution sees another's tables or writes. Setting every key
// of three fresh tables was most of what a call cost (56 allocations).
type infoTemplate struct {
	info, headers, params *lua.LTable
}

// infoCopy is the three tables of one Websocket.info call, allocated
// together.
type infoCopy struct {
	info, headers, params lua.LTable
}

// placeholder holds in the template the keys whose values each call sets,
// so that setting them adds no key to a borrowed table.
var placeholder lua.LValue = lua.LTrue

// connInfo is what Websocket.info returns: every field of websocketInfo but
// message and message_type, for a connection that is open.
func connInfo(L *lua.LState, c *Conn) *lua.LTable {
	tpl := c.template(L)
	cp := new(infoCopy)
	tpl.info.ShareInto(&cp.info)
	tpl.headers.ShareInto(&cp.headers)
	tpl.params.ShareInto(&cp.params)
	// last_activity_at goes first: a Go map of eight entries, which the
	// template's is without the optional fields, grows at any write, even
	// to a key it has, and at seven it does not.
	cp.info.RawSetString("last_activity_at", lua.LNil)
	cp.info.RawSetString("headers", &cp.headers)
	cp.info.RawSetString("parameters", &cp.params)
	if c.Auth != nil {
		cp.info.RawSetString("auth", authTable(L, c.Auth, func(_ string, t *lua.LTable) *lua.LTable { return t }))
	}
	if !c.LastActivityAt.IsZero() {
		cp.info.RawSetString("last_activity_at", lua.LNumber(c.LastActivityAt.UnixMilli()))
	}
	return &cp.info
}

// template returns c's infoTemplate, building it at the first call: most
// connections are never the subject of a Websocket.info, and a template
// would cost each of them memory while idle.
func (c *Conn) template(L *lua.LState) *infoTemplate {
	if c.shared == nil { // a Conn not made by NewConn: it has no Lua values
		return newInfoTemplate(L, NewConn(*c))
	}
	if t := c.shared.info.Load(); t != nil {
		return t
	}
	t := newInfoTemplate(L, c)
	if c.shared.info.CompareAndSwap(nil, t) {
		return t
	}
	return c.shared.info.Load()
}

func newInfoTemplate(L *lua.LState, c *Conn) *infoTemplate {
	fs := []field{
		{"uri", c.luaURI}, {"type", luaEventType(EventOpen)}, {"route", c.luaRoute},
		{"socket_id", c.luaID}, {"timestamp", lua.LNumber(c.ConnectedAt.UnixMilli())},
		{"headers", placeholder}, {"parameters", placeholder}, {"last_activity_at", placeholder},
	}
	for _, f := range []field{{"subprotocol", c.luaSubprotocol}, {"user_id", c.luaUserID}, {"session_name", c.luaSessionName}} {
		if f.value != nil && f.value != lua.LNil {
			fs = append(fs, f)
		}
	}
	if c.Auth != nil {
		fs = append(fs, field{"auth", placeholder})
	}
	return &infoTemplate{info: sharedTable(L, fs), headers: c.luaHeaders(), params: c.luaParams()}
}

// sharedTable is a table of fs, shared.
func sharedTable(L *lua.LState, fs []field) *lua.LTable {
	t := L.CreateTable(0, len(fs))
	for _, f := range fs {
		t.RawSetString(f.key, f.value)
	}
	t.Share()
	return t
}
