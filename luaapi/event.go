package luaapi

import (
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Event types, as websocketInfo.type reports them.
const (
	EventOpen  = "open"
	EventData  = "data"
	EventClose = "close"
)

// Message types, as websocketInfo.message_type and the type argument of the
// send functions name them.
const (
	MessageText   = "data-text"
	MessageBinary = "data-binary"
)

// Conn describes one WebSocket connection: what stays the same for all its
// events. Build it with NewConn and do not change it afterwards.
type Conn struct {
	// ID is the socket_id: unguessable and URL-safe.
	ID string
	// URI is the full URI of the upgrade request.
	URI string
	// Route is the endpoint's declared path pattern.
	Route string
	// Headers holds the upgrade request's headers, names in lower case and
	// repeated values joined with ", ".
	Headers map[string]string
	// Parameters holds the path and query parameters; a path parameter wins
	// over a query parameter of the same name.
	Parameters map[string]string
	// ConnectedAt is when the upgrade completed.
	ConnectedAt time.Time
	// Subprotocol is the subprotocol the handshake chose, "" for none.
	Subprotocol string
	// LastActivityAt is when a data message last went either way. Only
	// Sockets.Info sets it, for Websocket.info.
	LastActivityAt time.Time

	// The Lua values of the fields above, built once so that building
	// websocketInfo for each event does not convert them again.
	luaID, luaURI, luaRoute lua.LValue
	luaSubprotocol          lua.LValue // nil when none
	luaHeaders, luaParams   []field
}

type field struct {
	key   string
	value lua.LValue
}

// NewConn fills a Conn's cached Lua values.
func NewConn(c Conn) *Conn {
	c.luaID, c.luaURI, c.luaRoute = lua.LString(c.ID), lua.LString(c.URI), lua.LString(c.Route)
	c.luaSubprotocol = lua.LNil
	if c.Subprotocol != "" {
		c.luaSubprotocol = lua.LString(c.Subprotocol)
	}
	c.luaHeaders = fields(c.Headers)
	c.luaParams = fields(c.Parameters)
	return &c
}

// fields returns m's entries sorted by key, an order infoTables relies on.
func fields(m map[string]string) []field {
	fs := make([]field, 0, len(m))
	for k, v := range m {
		fs = append(fs, field{k, lua.LString(v)})
	}
	slices.SortFunc(fs, func(a, b field) int { return strings.Compare(a.key, b.key) })
	return fs
}

// Peer is the socket an event is about, as websocketInfo.send and
// websocketInfo.close reach it.
type Peer interface {
	// Send queues msg; it fails with ErrQueueFull rather than block.
	Send(msg []byte, binary bool) error
	// Close closes the socket normally.
	Close() error
}

// Event is one thing that happened on a connection.
type Event struct {
	Type string
	Conn *Conn
	Peer Peer
	// Message and Binary are set for data events. Message is valid only
	// while the event runs: the runtime reads the next message into the
	// same storage, so luaapi copies what it keeps.
	Message []byte
	Binary  bool
	// Timestamp is when the event was received.
	Timestamp time.Time
	// CloseCode and CloseReason are set for close events.
	CloseCode   int
	CloseReason string

	// Policy is what websocketInfo.policy describes; nil leaves it unset.
	Policy *Policy
	// RouteKey is the --#ROUTE key that chose the program, "" when the
	// endpoint's own script runs.
	RouteKey string
	// RouteValue is the value the route selection found in the message,
	// when HasRouteValue.
	RouteValue    string
	HasRouteValue bool
	// Reply, when set, receives the script's reply instead of the socket:
	// the runtime asks a script for a decision that way.
	Reply func(msg []byte, binary bool) error
}

// Values of websocketInfo fields boxed once: converting a string variable
// to a lua.LValue allocates, and these are set on every event.
var (
	luaText   lua.LValue = lua.LString(MessageText)
	luaBinary lua.LValue = lua.LString(MessageBinary)
)

// maxReusedKeys bounds how many distinct keys a reused table may have held.
// gopher-lua keeps every key a table ever had in an internal list, so a
// table refilled with ever new header names would grow without end.
const maxReusedKeys = 64

// infoTables are a VM's websocketInfo table and its headers and parameters
// tables, refilled for each execution rather than built anew: building them
// was most of what dispatching an event cost. fill overwrites or removes
// every key the last fill set; a table an execution may have added other
// keys to is dropped (see VM.touched).
type infoTables struct {
	info            *lua.LTable
	headers, params reusedTable
	policy          policyTables
	optionalFields
}

// reusedTable is a table refilled with a connection's fields.
type reusedTable struct {
	t    *lua.LTable
	last []field // what the last fill set: all t may hold
	seen int     // at least the distinct keys t has held
}

// infoKey reports whether newInfo sets k on websocketInfo.
func infoKey(k string) bool {
	switch k {
	case "uri", "type", "route", "socket_id", "timestamp", "headers", "parameters",
		"message", "message_type", "close_code", "close_reason", "send", "close",
		"policy":
		return true
	}
	return false
}

// fill makes r's table, with metatable mt, hold exactly fs.
func (r *reusedTable) fill(L *lua.LState, fs []field, mt *lua.LTable) *lua.LTable {
	same := sameKeys(r.last, fs)
	if r.t == nil || r.t.Metatable != mt || (!same && r.seen+len(fs) > maxReusedKeys) {
		r.t, r.last, r.seen, same = L.CreateTable(0, len(fs)), nil, 0, false
		r.t.Metatable = mt
	}
	if !same {
		for _, f := range r.last {
			r.t.RawSetString(f.key, lua.LNil)
		}
		// This over-counts keys the table already had; the bound only
		// has to hold, not be tight.
		r.seen += len(fs)
	}
	for _, f := range fs {
		setField(r.t, f.key, f.value)
	}
	r.last = fs
	return r.t
}

// setField sets t[key] = v unless t holds v there already. Setting costs
// gopher-lua two map operations, one of them keyed by an interface, and
// reading one: most fields of a refilled table hold the same value event
// after event (the event type, the functions, headers every client sends
// alike), so most sets are skipped.
func setField(t *lua.LTable, key string, v lua.LValue) {
	if t.RawGetString(key) != v {
		t.RawSetString(key, v)
	}
}

// sameKeys reports whether a and b have the same keys in the same order.
func sameKeys(a, b []field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].key != b[i].key {
			return false
		}
	}
	return true
}

// luaEventType is websocketInfo.type, boxed without allocating for the
// known types.
func luaEventType(typ string) lua.LValue {
	switch typ {
	case EventOpen:
		return lua.LString(EventOpen)
	case EventData:
		return lua.LString(EventData)
	case EventClose:
		return lua.LString(EventClose)
	}
	return lua.LString(typ)
}

// newInfo fills the websocketInfo table for ev. send and close are the
// state's own functions, bound to the current execution; mt is the
// metatable of the tables a VM reuses.
func (it *infoTables) newInfo(L *lua.LState, ev *Event, send, close *lua.LFunction, mt *lua.LTable) *lua.LTable {
	c := ev.Conn
	if it.info == nil || it.info.Metatable != mt {
		it.info = L.CreateTable(0, 18)
		it.info.Metatable = mt
	}
	t := it.info
	setField(t, "uri", c.luaURI)
	setField(t, "type", luaEventType(ev.Type))
	setField(t, "route", c.luaRoute)
	setField(t, "socket_id", c.luaID)
	// Boxing a number allocates; events of the same millisecond share it.
	if ms := lua.LNumber(ev.Timestamp.UnixMilli()); t.RawGetString("timestamp") != ms {
		t.RawSetString("timestamp", ms)
	}
	setField(t, "headers", it.headers.fill(L, c.luaHeaders, mt))
	setField(t, "parameters", it.params.fill(L, c.luaParams, mt))
	message, messageType, closeCode, closeReason := lua.LValue(lua.LNil), lua.LValue(lua.LNil), lua.LValue(lua.LNil), lua.LValue(lua.LNil)
	switch ev.Type {
	case EventData:
		if ev.Binary {
			message, messageType = lua.LString(encodeBase64(ev.Message)), luaBinary
		} else {
			message, messageType = lua.LString(ev.Message), luaText
		}
	case EventClose:
		closeCode, closeReason = lua.LNumber(ev.CloseCode), lua.LString(ev.CloseReason)
	}
	setField(t, "message", message)
	setField(t, "message_type", messageType)
	setField(t, "close_code", closeCode)
	setField(t, "close_reason", closeReason)
	setField(t, "send", send)
	setField(t, "close", close)
	it.setPolicyFields(L, t, ev)
	return t
}

// connInfo is what Websocket.info returns: every field of websocketInfo but
// message and message_type, for a connection that is open.
func connInfo(L *lua.LState, c *Conn) *lua.LTable {
	t := L.CreateTable(0, 9)
	t.RawSetString("uri", c.luaURI)
	t.RawSetString("type", luaEventType(EventOpen))
	t.RawSetString("route", c.luaRoute)
	t.RawSetString("socket_id", c.luaID)
	t.RawSetString("timestamp", lua.LNumber(c.ConnectedAt.UnixMilli()))
	t.RawSetString("headers", table(L, c.luaHeaders))
	t.RawSetString("parameters", table(L, c.luaParams))
	t.RawSetString("subprotocol", c.luaSubprotocol)
	if !c.LastActivityAt.IsZero() {
		t.RawSetString("last_activity_at", lua.LNumber(c.LastActivityAt.UnixMilli()))
	}
	return t
}

func table(L *lua.LState, fs []field) *lua.LTable {
	t := L.CreateTable(0, len(fs))
	for _, f := range fs {
		t.RawSetString(f.key, f.value)
	}
	return t
}
