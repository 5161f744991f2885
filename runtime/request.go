package runtime

import (
	"errors"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// Request is the HTTP request an HTTP endpoint's script answers, Response
// its answer.
type (
	Request  = luaapi.Request
	Response = luaapi.Response
)

// ErrNoEndpoint is returned by ServeRequest for an endpoint the running
// revision does not have: a deploy removed it after the request was routed.
var ErrNoEndpoint = errors.New("no such HTTP endpoint")

// ServeRequest runs the script of the HTTP endpoint whose key is key for
// req, on a pooled state within the endpoint's share, under the script
// timeout and the memory watchdog, as a socket's event runs. A failure is
// logged with its line and returned; after Shutdown has begun it is
// ErrShuttingDown.
func (e *Engine) ServeRequest(key string, req *Request) (*Response, error) {
	prog := e.rev.Load().requests[key]
	if prog == nil {
		return nil, ErrNoEndpoint
	}
	// Counted among the live executions, so that Shutdown does not close
	// the Lua states under a request.
	e.mu.Lock()
	if e.shuttingDown {
		e.mu.Unlock()
		return nil, ErrShuttingDown
	}
	e.live.Add(1)
	e.mu.Unlock()
	defer e.live.Done()
	ev := &luaapi.Event{
		Type:      luaapi.EventRequest,
		Conn:      &luaapi.Conn{ID: req.RequestID, URI: req.URI, Route: key},
		Request:   req,
		Timestamp: time.Now(),
	}
	if err := e.run(prog, ev); err != nil {
		return nil, err
	}
	return ev.Response, nil
}
