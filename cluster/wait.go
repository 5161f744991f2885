package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

// waitRequest is what opRequest and opSendWait carry: the operation's
// timeout travels with it, as the node that holds the socket waits for
// the client on the asker's behalf.
type waitRequest struct {
	ID      string `json:"id"`
	Event   string `json:"event,omitempty"`
	Content []byte `json:"content,omitempty"`
	Msg     []byte `json:"msg,omitempty"`
	Binary  bool   `json:"binary,omitempty"`
	// Timeout is how long the holder may wait, in milliseconds.
	Timeout int64 `json:"timeout"`
}

// Request implements hub.Broker: the node holding socket id asks its
// client, and the answer comes back within ctx's deadline.
func (n *Node) Request(ctx context.Context, id, event string, content []byte) ([]byte, error) {
	var out []byte
	err := n.askWaiting(ctx, id, opRequest, waitRequest{ID: id, Event: event, Content: content}, &out)
	return out, err
}

// SendWait implements hub.Broker: the node holding socket id queues msg
// and answers once it has been written.
func (n *Node) SendWait(ctx context.Context, id string, msg []byte, binary bool) error {
	return n.askWaiting(ctx, id, opSendWait, waitRequest{ID: id, Msg: msg, Binary: binary}, nil)
}

// askWaiting is ask for an operation that waits on a client: the NATS
// request lasts as long as ctx allows rather than the cluster timeout,
// and its end by ctx is the operation's timeout.
func (n *Node) askWaiting(ctx context.Context, id string, op byte, r waitRequest, v any) error {
	node, err := n.holder(id)
	if err == nil {
		err = n.settle(node)
	}
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(luaapi.DefaultRequestTimeout)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	r.Timeout = time.Until(deadline).Milliseconds()
	msg, err := n.nc.RequestWithContext(ctx, n.subj.node(node), encodeJSON(op, r))
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return hub.ErrUnknownSocket
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return luaapi.ErrRequestTimeout
	case err != nil:
		return fmt.Errorf("%w: %v", hub.ErrClusterUnavailable, err)
	}
	return decodeReply(msg.Data).into(v)
}

// serveWaiting answers opRequest and opSendWait in a goroutine of the
// node's, as they wait on a client for up to their timeout; the node's
// shutdown ends the wait.
func (n *Node) serveWaiting(msg *nats.Msg) {
	// Under closeMu, so that no wait starts once stop waits for them.
	n.closeMu.Lock()
	if n.closed {
		n.closeMu.Unlock()
		_ = msg.Respond(reply(n.id, hub.ErrUnknownSocket, nil))
		return
	}
	n.wg.Add(1)
	n.closeMu.Unlock()
	go func() {
		defer n.wg.Done()
		var r waitRequest
		if err := jsonInto(msg.Data[1:], &r); err != nil {
			_ = msg.Respond(reply(n.id, err, nil))
			return
		}
		ctx, cancel := context.WithTimeout(n.ctx, time.Duration(r.Timeout)*time.Millisecond)
		defer cancel()
		if msg.Data[0] == opSendWait {
			_ = msg.Respond(reply(n.id, n.hub.SendWait(ctx, r.ID, r.Msg, r.Binary), nil))
			return
		}
		content, err := n.hub.Request(ctx, r.ID, r.Event, r.Content)
		_ = msg.Respond(reply(n.id, err, content))
	}()
}
