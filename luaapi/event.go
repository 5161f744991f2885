package luaapi

import (
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

	// The Lua values of the fields above, built once so that building
	// websocketInfo for each event does not convert them again.
	luaID, luaURI, luaRoute lua.LValue
	luaHeaders, luaParams   []field
}

type field struct {
	key   string
	value lua.LValue
}

// NewConn fills a Conn's cached Lua values.
func NewConn(c Conn) *Conn {
	c.luaID, c.luaURI, c.luaRoute = lua.LString(c.ID), lua.LString(c.URI), lua.LString(c.Route)
	c.luaHeaders = fields(c.Headers)
	c.luaParams = fields(c.Parameters)
	return &c
}

func fields(m map[string]string) []field {
	fs := make([]field, 0, len(m))
	for k, v := range m {
		fs = append(fs, field{k, lua.LString(v)})
	}
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
	// Message and Binary are set for data events.
	Message []byte
	Binary  bool
	// Timestamp is when the event was received.
	Timestamp time.Time
	// CloseCode and CloseReason are set for close events.
	CloseCode   int
	CloseReason string
}

// newInfo builds the websocketInfo table for ev. send and close are the
// state's own functions, bound to the current execution.
func newInfo(L *lua.LState, ev *Event, send, close *lua.LFunction) *lua.LTable {
	c := ev.Conn
	t := L.CreateTable(0, 14)
	t.RawSetString("uri", c.luaURI)
	t.RawSetString("type", lua.LString(ev.Type))
	t.RawSetString("route", c.luaRoute)
	t.RawSetString("socket_id", c.luaID)
	t.RawSetString("timestamp", lua.LNumber(ev.Timestamp.UnixMilli()))
	t.RawSetString("headers", table(L, c.luaHeaders))
	t.RawSetString("parameters", table(L, c.luaParams))
	switch ev.Type {
	case EventData:
		if ev.Binary {
			t.RawSetString("message", lua.LString(encodeBase64(ev.Message)))
			t.RawSetString("message_type", lua.LString(MessageBinary))
		} else {
			t.RawSetString("message", lua.LString(ev.Message))
			t.RawSetString("message_type", lua.LString(MessageText))
		}
	case EventClose:
		t.RawSetString("close_code", lua.LNumber(ev.CloseCode))
		t.RawSetString("close_reason", lua.LString(ev.CloseReason))
	}
	t.RawSetString("send", send)
	t.RawSetString("close", close)
	return t
}

// connInfo is what Websocket.info returns: every field of websocketInfo but
// message and message_type, for a connection that is open.
func connInfo(L *lua.LState, c *Conn) *lua.LTable {
	t := L.CreateTable(0, 7)
	t.RawSetString("uri", lua.LString(c.URI))
	t.RawSetString("type", lua.LString(EventOpen))
	t.RawSetString("route", lua.LString(c.Route))
	t.RawSetString("socket_id", lua.LString(c.ID))
	t.RawSetString("timestamp", lua.LNumber(c.ConnectedAt.UnixMilli()))
	t.RawSetString("headers", table(L, fields(c.Headers)))
	t.RawSetString("parameters", table(L, fields(c.Parameters)))
	return t
}

func table(L *lua.LState, fs []field) *lua.LTable {
	t := L.CreateTable(0, len(fs))
	for _, f := range fs {
		t.RawSetString(f.key, f.value)
	}
	return t
}
