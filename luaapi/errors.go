package luaapi

import (
	"errors"
	"net/http"

	lua "github.com/yuin/gopher-lua"
)

// Errors a Sockets implementation returns, which scripts see as error tables
// with the matching status.
var (
	// ErrUnknownSocket means no live socket has the given id (404).
	ErrUnknownSocket = errors.New("no open websocket with this socket_id")
	// ErrQueueFull means the socket's send queue is full because its client
	// is not reading fast enough (503).
	ErrQueueFull = errors.New("the socket's send queue is full")
	// ErrSocketClosed means the socket is closing or closed (404 to scripts,
	// as the socket is gone).
	ErrSocketClosed = errors.New("websocket is closed")
	// ErrBadArgument means a script passed an argument of the wrong shape (400).
	ErrBadArgument = errors.New("bad argument")
	// ErrTooManyGroups means the socket is in as many groups as it may be
	// (400, as the script asked for more than the limit allows).
	ErrTooManyGroups = errors.New("the socket is in as many groups as it may join")
	// ErrRequestTimeout means a request's reply, or a send's delivery, did
	// not come within its timeout (504).
	ErrRequestTimeout = errors.New("no reply within the request's timeout")
	// ErrClientError wraps the error a client answered a request with (502).
	ErrClientError = errors.New("the client answered with an error")
	// ErrTooManyWaiting means as many executions wait for replies as may
	// hold Lua states doing so (503).
	ErrTooManyWaiting = errors.New("too many executions are waiting for replies")
	// ErrClusterUnavailable means the socket is on another node and the
	// cluster cannot be reached (503).
	ErrClusterUnavailable = errors.New("the cluster is unavailable")
)

// StatusError is an error that names its own type and HTTP status, for
// the services scripts reach through an interface (Keystore, Push, Files)
// whose errors luaapi does not know.
type StatusError interface {
	error
	ErrorStatus() (typ string, status int)
}

// ErrorTable builds the error shape every luagate operation returns to a
// script, and the management API returns to HTTP clients:
// {type=, error=, status=}.
func ErrorTable(L *lua.LState, err error) *lua.LTable {
	typ, status := Classify(err)
	t := L.CreateTable(0, 3)
	t.RawSetString("type", lua.LString(typ))
	t.RawSetString("error", lua.LString(err.Error()))
	t.RawSetString("status", lua.LNumber(status))
	return t
}

// Classify names the error type and HTTP status of err.
func Classify(err error) (typ string, status int) {
	var se StatusError
	switch {
	case errors.As(err, &se):
		return se.ErrorStatus()
	case errors.Is(err, ErrRequestTimeout):
		return "TimeoutError", http.StatusGatewayTimeout
	case errors.Is(err, ErrClientError):
		return "ClientError", http.StatusBadGateway
	case errors.Is(err, ErrTooManyWaiting):
		return "TooManyWaitingError", http.StatusServiceUnavailable
	case errors.Is(err, ErrUnknownSocket), errors.Is(err, ErrSocketClosed):
		return "NotFoundError", http.StatusNotFound
	case errors.Is(err, ErrQueueFull):
		return "QueueFullError", http.StatusServiceUnavailable
	case errors.Is(err, ErrClusterUnavailable):
		return "ClusterUnavailableError", http.StatusServiceUnavailable
	case errors.Is(err, ErrBadArgument), errors.Is(err, ErrTooManyGroups):
		return "ArgumentError", http.StatusBadRequest
	}
	return "InternalError", http.StatusInternalServerError
}
