package luaapi

import (
	"time"
	"unsafe"

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
	// repeated values joined with ", ". NewConn keeps them as Lua values
	// only and sets Headers to nil, so that an idle socket does not hold
	// them twice; HeaderMap gives them back.
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
	// UserID and SessionName are "" for none.
	UserID, SessionName string
	// Auth is nil for an endpoint without authentication.
	Auth *Auth

	// The Lua values of the fields above, built once so that building
	// websocketInfo for each event does not convert them again.
	luaID, luaURI, luaRoute   lua.LValue
	luaSubprotocol            lua.LValue // nil when none
	luaUserID, luaSessionName lua.LValue // nil when none
	// shared holds the headers and parameters as the shared tables
	// (lua.LTable.Share) that every event's websocketInfo.headers and
	// .parameters, and every Websocket.info, borrow: refilling a state's
	// tables key by key for each event was a tenth of an echo's CPU. It
	// also holds the log limiter and Websocket.info's record; nil for a
	// Conn not made by NewConn.
	shared *connShared
}

type field struct {
	key   string
	value lua.LValue
}

// NewConn fills a Conn's cached Lua values.
func NewConn(c Conn) *Conn {
	c.luaID, c.luaURI, c.luaRoute = lua.LString(c.ID), lua.LString(c.URI), lua.LString(c.Route)
	c.shared = &connShared{}
	c.shared.headers.packed = packStrings(c.Headers)
	c.Headers = nil
	c.shared.params.packed = packStrings(c.Parameters)
	c.luaSubprotocol = optionalString(c.Subprotocol)
	c.luaUserID, c.luaSessionName = optionalString(c.UserID), optionalString(c.SessionName)
	return &c
}

// HeaderMap returns the upgrade request's headers (Conn.Headers), in a
// map of the caller's own.
func (c *Conn) HeaderMap() map[string]string {
	if c.shared == nil {
		return c.Headers
	}
	return c.shared.headers.goMap()
}

// Idle lets go of the Lua tables of c's headers and parameters, for a
// connection that waits for its next message without a goroutine: the
// next event or Websocket.info builds them again. Executions that
// borrowed them keep what they borrowed.
func (c *Conn) Idle() {
	if c.shared != nil {
		c.shared.headers.table.Store(nil)
		c.shared.params.table.Store(nil)
	}
}

// luaHeaders and luaParams are c's headers and parameters as shared
// tables; c must have been made by NewConn.
func (c *Conn) luaHeaders() *lua.LTable { return c.shared.headers.lua() }
func (c *Conn) luaParams() *lua.LTable  { return c.shared.params.lua() }

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
	// Groups, for a close event, are the groups the socket was in: it has
	// left them by the time its close event runs.
	Groups []string

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

	// Request, for an EventRequest, is the HTTP request the script
	// answers; Run puts the answer in Response. Conn then only names the
	// execution in the log (its ID the request_id, its Route the
	// endpoint's key) and Peer is unused.
	Request  *Request
	Response *Response

	// Direction is set on the data events of a proxy endpoint's frames:
	// DirectionUp or DirectionDown. The script's reply then replaces the
	// frame (through Reply), and a reply of false sets Dropped.
	Direction string
	Dropped   bool
}

// Directions of a proxy endpoint's frames, as websocketInfo.direction
// names them.
const (
	// DirectionUp: from the client to the backend.
	DirectionUp = "upstream"
	// DirectionDown: from the backend to the client.
	DirectionDown = "downstream"
)

// Values of websocketInfo fields boxed once: converting a string variable
// to a lua.LValue allocates, and these are set on every event.
var (
	luaText   lua.LValue = lua.LString(MessageText)
	luaBinary lua.LValue = lua.LString(MessageBinary)

	luaUpstream   lua.LValue = lua.LString(DirectionUp)
	luaDownstream lua.LValue = lua.LString(DirectionDown)
)

// infoTables are a VM's websocketInfo table and its headers and parameters
// tables, refilled for each execution rather than built anew: building them
// was most of what dispatching an event cost. newInfo overwrites or
// removes every key the last fill set; a table an execution may have added
// other keys to is dropped (see VM.touched). After the execution release
// puts back what a script assigned to those keys, so a table does not keep
// a script's values while its state is idle, and the next fill knows what
// each table holds without reading it. The headers and parameters tables
// borrow the connection's (lua.LTable.ShareInto), which costs the same for
// any number of headers, and copy them only if the script writes to them.
//
// The fields of the connection and the endpoint (see deferredKey) are
// filled only once the script reaches for one of them
// (lua.LTable.SetDeferred): an event is mostly its type and message, and
// setting the others, and reading the connection's record for them, cold
// in the cache when many connections take turns on few states, was most
// of what filling the table cost.
type infoTables struct {
	info *lua.LTable
	// vals is what info holds at each of infoKeys.
	vals [len(infoKeys)]lua.LValue
	// writes is info's count of string-key writes once newInfo filled it.
	writes uint32
	// conn is the connection whose fields info holds.
	conn            *Conn
	headers, params lua.LTable
	policy          policyTables
	auth            authTables
	// groupList is the close event's websocketInfo.groups, built for its
	// execution.
	groupList *lua.LTable
	optionalFields

	// deferred fills the deferred fields of info for ev, with L and mt,
	// the arguments of the newInfo that set them; ev is nil between
	// executions.
	deferred lua.Deferred
	ev       *Event
	L        *lua.LState
	mt       *lua.LTable
}

// infoKeys are the keys newInfo sets on websocketInfo.
var infoKeys = [...]string{"uri", "type", "route", "socket_id", "timestamp", "headers", "parameters",
	"message", "message_type", "close_code", "close_reason", "send", "close", "policy"}

// Indexes of infoKeys.
const (
	infoURI = iota
	infoType
	infoRoute
	infoSocketID
	infoTimestamp
	infoHeaders
	infoParameters
	infoMessage
	infoMessageType
	infoCloseCode
	infoCloseReason
	infoSend
	infoClose
	infoPolicy
)

// deferredKey reports whether k is one of the websocketInfo fields filled
// at their first use: those of the connection and the endpoint's policy.
func deferredKey(k string) bool {
	switch k {
	case "uri", "route", "socket_id", "headers", "parameters", "policy",
		"subprotocol", "user_id", "session_name", "auth":
		return true
	}
	return false
}

// infoKey reports whether newInfo sets k on websocketInfo.
func infoKey(k string) bool {
	for _, ik := range infoKeys {
		if k == ik {
			return true
		}
	}
	return false
}

// restore sets t[key] = v unless t holds v there already, which it does
// unless a script assigned to key.
func restore(t *lua.LTable, key string, v lua.LValue) {
	if !identical(t.RawGetString(key), v) {
		t.RawSetString(key, v)
	}
}

// identical reports whether a and b are the same boxed value: the same
// type and the same pointer to what they box. Values boxed apart may be
// equal and not identical, which costs a caller a write it could have
// skipped; identical values are always equal, as boxed values do not
// change. Comparing two strings' contents costs a pass over both, and even
// comparing where their bytes are reads each string's header, which for a
// connection's fields is cold in the cache when connections take turns on
// a state: most of websocketInfo's strings change from event to event (the
// message) or are of another connection with the same contents (the URI),
// so setting them is cheaper than comparing them. The two words are
// compared one by one: comparing them as one array is a call to the
// runtime's byte comparison, which under load was 0.6% of the server's CPU.
func identical(a, b lua.LValue) bool {
	x, y := (*[2]unsafe.Pointer)(unsafe.Pointer(&a)), (*[2]unsafe.Pointer)(unsafe.Pointer(&b))
	return x[0] == y[0] && x[1] == y[1]
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

// newInfo fills the websocketInfo table for ev, but for the deferred
// fields, which fill fills when the script first reaches for one. send
// and close are the state's own functions, bound to the current
// execution; mt is the metatable of the tables a VM reuses.
func (it *infoTables) newInfo(L *lua.LState, ev *Event, send, close *lua.LFunction, mt *lua.LTable) *lua.LTable {
	if it.info == nil || it.info.Metatable != mt {
		// The optional fields (route_key, route_value, subprotocol,
		// user_id, session_name, auth, groups) take the rest.
		it.info = L.CreateTable(0, len(infoKeys)+7)
		it.optionalFields = optionalFields{}
		it.info.Metatable = mt
		it.vals = [len(infoKeys)]lua.LValue{}
		it.conn = nil
		it.deferred = lua.Deferred{Defers: deferredKey, Fill: it.fill}
		it.set(infoSend, send)
		it.set(infoClose, close)
	}
	it.ev, it.L, it.mt = ev, L, mt
	it.set(infoType, luaEventType(ev.Type))
	// Boxing a number allocates; events of the same millisecond share it.
	if ms := lua.LNumber(ev.Timestamp.UnixMilli()); it.vals[infoTimestamp] != ms {
		it.set(infoTimestamp, ms)
	}
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
	it.set(infoMessage, message)
	it.set(infoMessageType, messageType)
	it.set(infoCloseCode, closeCode)
	it.set(infoCloseReason, closeReason)
	it.setOptionalFields(it.info, ev)
	it.setGroups(L, ev)
	it.writes = it.info.StringWrites()
	it.info.SetDeferred(&it.deferred)
	return it.info
}

// fill sets websocketInfo's deferred fields for the execution running,
// as the lua.Deferred of info.
func (it *infoTables) fill(t *lua.LTable) {
	if t != it.info || it.ev == nil {
		return // a table dropped, or reached after its execution
	}
	before := t.StringWrites()
	c := it.ev.Conn
	if it.conn != c {
		it.conn = c
		it.set(infoURI, c.luaURI)
		it.set(infoRoute, c.luaRoute)
		it.set(infoSocketID, c.luaID)
	}
	c.luaHeaders().ShareInto(&it.headers)
	c.luaParams().ShareInto(&it.params)
	it.headers.Metatable, it.params.Metatable = it.mt, it.mt
	it.set(infoHeaders, &it.headers)
	it.set(infoParameters, &it.params)
	it.set(infoPolicy, it.policy.table(it.L, it.ev.Policy))
	it.setSubprotocol(t, c)
	it.setIdentityFields(it.L, t, c)
	// What the fill wrote is not the script's to undo.
	it.writes += t.StringWrites() - before
}

// set makes websocketInfo hold v at infoKeys[i]. Setting costs gopher-lua
// two map operations, one of them keyed by an interface: most fields hold
// the same value event after event (the event type, the functions, the
// connection's), so most sets are skipped.
func (it *infoTables) set(i int, v lua.LValue) {
	if !identical(it.vals[i], v) {
		it.info.RawSetString(infoKeys[i], v)
		it.vals[i] = v
	}
}

// release undoes what an execution assigned to the fields newInfo set.
// The headers and parameters tables let go of what they borrowed or a
// script wrote into them: the next newInfo lends them again. Deferred
// fields the execution never reached still hold what the last fill set.
func (it *infoTables) release() {
	it.headers, it.params = lua.LTable{Metatable: lua.LNil}, lua.LTable{Metatable: lua.LNil}
	it.ev, it.L = nil, nil
	if it.info == nil {
		it.vals = [len(infoKeys)]lua.LValue{}
		return
	}
	pending := it.info.Pending()
	it.info.SetDeferred(nil)
	if it.info.StringWrites() == it.writes {
		return // the script wrote none of them
	}
	for i, k := range infoKeys {
		if !pending || !deferredKey(k) {
			restore(it.info, k, it.vals[i])
		}
	}
}
