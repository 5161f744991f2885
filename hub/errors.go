package hub

import "github.com/luagate/luagate/luaapi"

// The errors of the hub's operations. They are the ones luaapi declares,
// so a script and an operator see the same failure the same way.
var (
	// ErrUnknownSocket: no open socket has the id (404).
	ErrUnknownSocket = luaapi.ErrUnknownSocket
	// ErrSocketClosed: the socket is closing or closed (404).
	ErrSocketClosed = luaapi.ErrSocketClosed
	// ErrQueueFull: the socket's send queue is full (503).
	ErrQueueFull = luaapi.ErrQueueFull
	// ErrTooManyGroups: the socket is in as many groups as it may be (400).
	ErrTooManyGroups = luaapi.ErrTooManyGroups
	// ErrClusterUnavailable: the socket is on another node, which cannot
	// be reached (503).
	ErrClusterUnavailable = luaapi.ErrClusterUnavailable
)

// Classify names the error type and HTTP status of an error a hub
// operation returned, as scripts see them in error tables.
func Classify(err error) (typ string, status int) { return luaapi.Classify(err) }
