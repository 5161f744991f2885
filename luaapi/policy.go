package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// Policy describes the limits that apply to an endpoint's sockets, as
// websocketInfo.policy shows them. The runtime builds one per endpoint and
// revision; it must not change afterwards.
type Policy struct {
	// RateLimit is nil when messages are not limited.
	RateLimit *RatePolicy
	// Zero means no limit.
	IdleTimeoutMS, MaxAgeMS int64
	MaxMessageBytes         int64
}

// RatePolicy is the incoming message limit of a Policy.
type RatePolicy struct {
	Requests int
	WindowMS int64
	Burst    int
	// Then is "drop" or "close".
	Then string
}

// policyTables is a VM's websocketInfo.policy: read-only proxies over the
// fields of the last Policy shown, rebuilt when the policy differs or a
// script wrote into a proxy with rawset. Immutable to scripts otherwise,
// so it is not rebuilt per execution.
type policyTables struct {
	of          *Policy
	proxy, rate *lua.LTable
}

// table returns websocketInfo.policy for p.
func (pt *policyTables) table(L *lua.LState, p *Policy) lua.LValue {
	if p == nil {
		return lua.LNil
	}
	if pt.of == p && isEmpty(pt.proxy) && (pt.rate == nil || isEmpty(pt.rate)) {
		return pt.proxy
	}
	data := L.CreateTable(0, 4)
	pt.rate = nil
	if rl := p.RateLimit; rl != nil {
		r := L.CreateTable(0, 4)
		r.RawSetString("requests", lua.LNumber(rl.Requests))
		r.RawSetString("window_ms", lua.LNumber(rl.WindowMS))
		r.RawSetString("burst", lua.LNumber(rl.Burst))
		r.RawSetString("then", lua.LString(rl.Then))
		pt.rate = readOnlyTable(L, "websocketInfo.policy.rate_limit", r)
		data.RawSetString("rate_limit", pt.rate)
	}
	data.RawSetString("idle_timeout_ms", lua.LNumber(p.IdleTimeoutMS))
	data.RawSetString("max_age_ms", lua.LNumber(p.MaxAgeMS))
	data.RawSetString("max_message_bytes", lua.LNumber(p.MaxMessageBytes))
	pt.of, pt.proxy = p, readOnlyTable(L, "websocketInfo.policy", data)
	return pt.proxy
}

func isEmpty(t *lua.LTable) bool {
	k, _ := t.Next(lua.LNil)
	return k == lua.LNil
}

// readOnlyTable returns an empty proxy that reads through to t and raises
// on assignment; its metatable is protected.
func readOnlyTable(L *lua.LState, name string, t *lua.LTable) *lua.LTable {
	mt := L.CreateTable(0, 3)
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s is read-only: cannot set %s", name, L.Get(2).String())
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	proxy := L.CreateTable(0, 0)
	proxy.Metatable = mt
	return proxy
}

// setPolicyFields sets the websocketInfo fields that endpoint policies
// add: policy, route_key, route_value and subprotocol.
func (it *infoTables) setPolicyFields(L *lua.LState, t *lua.LTable, ev *Event) {
	setField(t, "policy", it.policy.table(L, ev.Policy))
	routeKey, routeValue := lua.LValue(lua.LNil), lua.LValue(lua.LNil)
	if ev.RouteKey != "" {
		routeKey = lua.LString(ev.RouteKey)
	}
	if ev.HasRouteValue {
		routeValue = lua.LString(ev.RouteValue)
	}
	setField(t, "route_key", routeKey)
	setField(t, "route_value", routeValue)
	setField(t, "subprotocol", ev.Conn.luaSubprotocol)
}
