package hub

import (
	"context"
	"fmt"

	"github.com/luagate/luagate/luaapi"
)

// Requester is what a Socket that can be asked for a reply, or tell when
// a frame was delivered, implements besides Socket: runtime's sockets do.
type Requester interface {
	// Request sends the client a request frame for event with content
	// (JSON) and waits until ctx ends for its reply's content.
	Request(ctx context.Context, event string, content []byte) ([]byte, error)
	// SendWait queues msg and waits until ctx ends for it to be written.
	SendWait(ctx context.Context, msg []byte, binary bool) error
}

// requester returns the open socket id's Requester, or nil and false when
// the hub does not hold the socket.
func (h *Hub) requester(id string) (Requester, bool, error) {
	e, ok := h.get(id)
	if !ok {
		return nil, false, nil
	}
	if e.closed.Load() {
		return nil, true, luaapi.ErrSocketClosed
	}
	r, ok := e.sock.(Requester)
	if !ok {
		return nil, true, fmt.Errorf("%w: the socket answers no requests", luaapi.ErrUnknownSocket)
	}
	return r, true, nil
}

// Request asks the socket id's client, here or through the broker, and
// returns its reply's content. It implements luaapi.Requests.
func (h *Hub) Request(ctx context.Context, id, event string, content []byte) ([]byte, error) {
	r, here, err := h.requester(id)
	switch {
	case err != nil:
		return nil, err
	case !here:
		return h.broker.Request(ctx, id, event, content)
	}
	return r.Request(ctx, event, content)
}

// SendWait queues msg to the socket id, here or through the broker, and
// returns once it has been written. It implements luaapi.Requests.
func (h *Hub) SendWait(ctx context.Context, id string, msg []byte, binary bool) error {
	r, here, err := h.requester(id)
	switch {
	case err != nil:
		return err
	case !here:
		return h.broker.SendWait(ctx, id, msg, binary)
	}
	return r.SendWait(ctx, msg, binary)
}
