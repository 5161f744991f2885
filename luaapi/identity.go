package luaapi

import (
	"maps"
	"slices"

	lua "github.com/yuin/gopher-lua"
)

// Auth is how a socket's upgrade authenticated, as websocketInfo.auth shows
// it. It must not change once in a Conn.
type Auth struct {
	// Scheme is apikey, jwt or script.
	Scheme string
	// KeyID and KeyName are the API key's, "" when none was used.
	KeyID, KeyName string
	// Claims hold JSON values: strings, float64, bools, nil, []any and
	// map[string]any.
	Claims map[string]any
}

// maxClaimDepth bounds how deep claims are turned into tables; deeper
// values are left out. A token's claims come through a header of at most
// 32 KiB, so this is about what a script can use, not about memory.
const maxClaimDepth = 32

// authTables is a VM's websocketInfo.auth: read-only proxies over the auth
// of the last connection shown, rebuilt when the connection differs or a
// script wrote into one of them with rawset. Immutable to scripts
// otherwise, so it is not rebuilt per execution.
type authTables struct {
	of      *Conn
	proxy   *lua.LTable
	proxies []*lua.LTable
}

// table returns websocketInfo.auth for c: nil for an endpoint without
// authentication.
func (at *authTables) table(L *lua.LState, c *Conn) lua.LValue {
	if c.Auth == nil {
		return lua.LNil
	}
	if at.of == c && !slices.ContainsFunc(at.proxies, func(t *lua.LTable) bool { return !isEmpty(t) }) {
		return at.proxy
	}
	at.proxies = at.proxies[:0]
	readOnly := func(name string, t *lua.LTable) *lua.LTable {
		p := readOnlyTable(L, name, t)
		at.proxies = append(at.proxies, p)
		return p
	}
	at.of, at.proxy = c, authTable(L, c.Auth, readOnly)
	return at.proxy
}

// authTable builds {scheme=, key_id=, key_name=, claims=}; wrap makes each
// table of it what a script gets: a read-only proxy for websocketInfo, the
// table itself for Websocket.info.
func authTable(L *lua.LState, a *Auth, wrap func(string, *lua.LTable) *lua.LTable) *lua.LTable {
	t := L.CreateTable(0, 4)
	t.RawSetString("scheme", lua.LString(a.Scheme))
	if a.KeyID != "" {
		t.RawSetString("key_id", lua.LString(a.KeyID))
		t.RawSetString("key_name", lua.LString(a.KeyName))
	}
	if a.Claims != nil {
		t.RawSetString("claims", claimValue(L, a.Claims, "websocketInfo.auth.claims", 0, wrap))
	}
	return wrap("websocketInfo.auth", t)
}

// claimValue turns a JSON value into a Lua one.
func claimValue(L *lua.LState, v any, name string, depth int, wrap func(string, *lua.LTable) *lua.LTable) lua.LValue {
	switch v := v.(type) {
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case []any:
		if depth >= maxClaimDepth {
			return lua.LNil
		}
		t := newList(L, len(v))
		for _, e := range v {
			t.Append(claimValue(L, e, name, depth+1, wrap))
		}
		return wrap(name, t)
	case map[string]any:
		if depth >= maxClaimDepth {
			return lua.LNil
		}
		t := L.CreateTable(0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			t.RawSetString(k, claimValue(L, v[k], name, depth+1, wrap))
		}
		return wrap(name, t)
	}
	return lua.LNil
}

// setIdentityFields sets user_id, session_name and auth on websocketInfo t,
// the way setOptionalFields sets the other usually-nil fields: only when
// this event's connection has an identity or the last fill set them, so an
// endpoint without authentication pays nothing for them.
func (it *infoTables) setIdentityFields(L *lua.LState, t *lua.LTable, c *Conn) {
	has := c.luaUserID != lua.LNil || c.luaSessionName != lua.LNil || c.Auth != nil
	if has || it.identity {
		setField(t, "user_id", c.luaUserID)
		setField(t, "session_name", c.luaSessionName)
		setField(t, "auth", it.auth.table(L, c))
	}
	it.identity = has
}

// optionalString is s as a Lua value, nil when empty.
func optionalString(s string) lua.LValue {
	if s == "" {
		return lua.LNil
	}
	return lua.LString(s)
}
