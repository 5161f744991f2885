package runtime

import (
	"errors"
	"sync"
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
	prog := e.rev.Load().request(key)
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
	x := requestRuns.Get().(*requestRun)
	defer func() {
		*x = requestRun{}
		requestRuns.Put(x)
	}()
	x.conn = luaapi.Conn{ID: req.RequestID, URI: req.URI, Route: key}
	x.ev = luaapi.Event{Type: luaapi.EventRequest, Conn: &x.conn, Request: req, Timestamp: time.Now()}
	if err := e.run(prog, &x.ev); err != nil {
		return nil, err
	}
	return x.ev.Response, nil
}

// requestRun is the event of one request and the connection it names,
// reused: nothing keeps either once the execution has ended.
type requestRun struct {
	ev   luaapi.Event
	conn luaapi.Conn
}

var requestRuns = sync.Pool{New: func() any { return new(requestRun) }}
