package luaapi

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Requests is what Websocket.request and Websocket.send{wait=true} need
// from the host: a client's reply, or a frame's delivery, waited for. The
// wait ends with ctx, whose deadline is the operation's timeout; its end by
// that deadline is ErrRequestTimeout.
type Requests interface {
	// Request sends the socket id a request frame for event with content
	// (JSON) and returns the content (JSON) of its client's reply. A reply
	// with an error fails with ErrClientError; a socket that closes first
	// with ErrSocketClosed.
	Request(ctx context.Context, id, event string, content []byte) ([]byte, error)
	// SendWait queues msg to the socket id and returns once it has been
	// written to the connection, or fails if the socket closed first.
	SendWait(ctx context.Context, id string, msg []byte, binary bool) error
}

// Request timeouts: what Websocket.request and a send with wait=true wait
// when the script gives no timeout, and the default of their bound.
const (
	DefaultRequestTimeout    = 5 * time.Second
	DefaultMaxRequestTimeout = 30 * time.Second
)

// MaxEventBytes bounds a request's event name.
const MaxEventBytes = 256

// WaitLimit bounds how many executions wait at once, for every VM given
// the same one: a waiting execution holds its Lua state.
type WaitLimit struct {
	max     int64
	waiting atomic.Int64
}

// NewWaitLimit lets max executions wait at once.
func NewWaitLimit(max int) *WaitLimit { return &WaitLimit{max: int64(max)} }

func (w *WaitLimit) acquire() bool {
	if w.waiting.Add(1) > w.max {
		w.waiting.Add(-1)
		return false
	}
	return true
}

func (w *WaitLimit) release() { w.waiting.Add(-1) }

// Websocket.request{socket_id=, event=, content=, timeout=}
func (vm *VM) wsRequest(L *lua.LState) int {
	args, id, err := socketArgs(L, "Websocket.request")
	if err != nil {
		return failure2(L, err)
	}
	event, ok := args.RawGetString("event").(lua.LString)
	if !ok || event == "" || len(event) > MaxEventBytes {
		return failure2(L, fmt.Errorf("%w: Websocket.request: event must be a string of 1 to %d bytes", ErrBadArgument, MaxEventBytes))
	}
	content := []byte("null")
	if v := args.RawGetString("content"); v != lua.LNil {
		if content, err = encodeJSON(v); err != nil {
			return failure2(L, fmt.Errorf("%w: Websocket.request: content: %w", ErrBadArgument, err))
		}
	}
	var reply []byte
	err = vm.wait(L, "Websocket.request", id, args, func(ctx context.Context) error {
		var err error
		reply, err = vm.opts.Requests.Request(ctx, id, string(event), content)
		return err
	})
	if err != nil {
		return failure2(L, err)
	}
	v, err := decodeJSON(L, string(reply))
	if err != nil {
		return failure2(L, fmt.Errorf("%w: the reply's content: %w", ErrClientError, err))
	}
	L.Push(v)
	return 1
}

// wait runs op, a wait for the client of socket id, under the operation's
// timeout (the args' timeout= in seconds). The wait does not count towards the
// execution's time, but holds its Lua state, so at most Options.Waiting
// executions wait at once.
func (vm *VM) wait(L *lua.LState, op, id string, args *lua.LTable, f func(context.Context) error) error {
	timeout := DefaultRequestTimeout
	switch v := args.RawGetString("timeout").(type) {
	case *lua.LNilType:
	case lua.LNumber:
		timeout = time.Duration(float64(v) * float64(time.Second))
		if v <= 0 || timeout > vm.opts.MaxRequestTimeout {
			return fmt.Errorf("%w: %s: timeout must be more than 0 and at most %g seconds, got %v", ErrBadArgument, op, vm.opts.MaxRequestTimeout.Seconds(), v)
		}
	default:
		return fmt.Errorf("%w: %s: timeout must be a number of seconds, got %s", ErrBadArgument, op, v.Type())
	}
	if vm.opts.Requests == nil {
		return fmt.Errorf("%s: this server answers no requests", op)
	}
	if x := vm.cur; x != nil && x.ev.Conn != nil && x.ev.Conn.ID == id {
		// The socket's reader runs this execution: it reads the reply, or
		// writes the frame, only once the execution has ended.
		return fmt.Errorf("%w: %s cannot wait for the socket whose event is running", ErrBadArgument, op)
	}
	if !vm.opts.Waiting.acquire() {
		return fmt.Errorf("%w: %s: %d already wait", ErrTooManyWaiting, op, vm.opts.Waiting.max)
	}
	defer vm.opts.Waiting.release()
	start := time.Now()
	vm.deadline.extend(timeout)
	defer func() { vm.deadline.extend(time.Since(start) - timeout) }()
	ctx, cancel := context.WithTimeout(L.Context(), timeout)
	defer cancel()
	return f(ctx)
}

// failure2 returns nil and the error table: the shape of an operation
// whose success returns a value.
func failure2(L *lua.LState, err error) int {
	L.Push(lua.LNil)
	L.Push(ErrorTable(L, err))
	return 2
}
