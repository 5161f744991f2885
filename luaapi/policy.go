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

// optionalFields remembers which of the websocketInfo fields that are
// usually nil the last fill of a table set (see setPolicyFields).
type optionalFields struct {
	// routed, subprotocol, identity and groups say whether the last fill of
	// websocketInfo set those fields; newInfo clears them with a new
	// table.
	routed, subprotocol, identity, groups bool
	// direction says whether it set websocketInfo.direction.
	direction bool
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

// setOptionalFields sets the websocketInfo fields that endpoint policies
// add besides policy: route_key, route_value and direction.
//
// They are nil on the events of most endpoints, so they are set only when
// this event or the last fill of t had them: on most events they cost
// nothing. That is sound because they are not infoKeys: a
// script that gives one a value where it is nil replaces the table (see
// touched), and one that changes a value luagate set is undone by the
// next fill, which sets the field whenever the last one did.
func (it *infoTables) setOptionalFields(t *lua.LTable, ev *Event) {
	routed := ev.RouteKey != "" || ev.HasRouteValue
	if routed || it.routed {
		routeKey, routeValue := lua.LValue(lua.LNil), lua.LValue(lua.LNil)
		if ev.RouteKey != "" {
			routeKey = lua.LString(ev.RouteKey)
		}
		if ev.HasRouteValue {
			routeValue = lua.LString(ev.RouteValue)
		}
		setField(t, "route_key", routeKey)
		setField(t, "route_value", routeValue)
	}
	it.routed = routed
	if ev.Direction != "" || it.direction {
		dir := lua.LValue(lua.LNil)
		switch ev.Direction {
		case DirectionUp:
			dir = luaUpstream
		case DirectionDown:
			dir = luaDownstream
		}
		setField(t, "direction", dir)
	}
	it.direction = ev.Direction != ""
}

// setSubprotocol sets websocketInfo.subprotocol, the way
// setOptionalFields sets route_key: it is nil on most connections.
func (it *infoTables) setSubprotocol(t *lua.LTable, c *Conn) {
	sub := c.luaSubprotocol
	if hasSub := sub != lua.LNil; hasSub || it.subprotocol {
		setField(t, "subprotocol", sub)
	}
	it.subprotocol = sub != lua.LNil
}

// setField sets t[key] = v unless t holds v there already: a set costs
// gopher-lua two map operations, a read one.
func setField(t *lua.LTable, key string, v lua.LValue) {
	if t.RawGetString(key) != v {
		t.RawSetString(key, v)
	}
}
