package cluster

import (
	"errors"
	"hash/maphash"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/push"
)

// Remote push frames are written by pushWorkers goroutines, each with a
// queue of pushQueue frames; a socket's frames all go through one worker,
// so they arrive in the order pushed. A full queue fails the send, and the
// message stays PENDING for the next connect.
const (
	pushWorkers = 8
	pushQueue   = 256
)

// remoteFrame is a push frame for a socket on another node, and what to
// call once that node has written it.
type remoteFrame struct {
	id      string
	frame   []byte
	written func()
}

// pushOut writes push frames to sockets on other nodes.
type pushOut struct {
	seed   maphash.Seed
	queues [pushWorkers]chan remoteFrame
}

func (p *pushOut) init() {
	p.seed = maphash.MakeSeed()
	for i := range p.queues {
		p.queues[i] = make(chan remoteFrame, pushQueue)
	}
}

// runPushOut is one worker: each frame waits for its node to write it, at most
// the cluster timeout, until the node stops.
func (n *Node) runPushOut(q chan remoteFrame) {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case f := <-q:
			ctx, cancel := n.op()
			err := n.SendWait(ctx, f.id, f.frame, false)
			cancel()
			if err == nil && f.written != nil {
				f.written()
			}
		}
	}
}

// PushSockets wraps local, this node's push sockets, so that push reaches
// a recipient's sockets on every node: what push.Config.Sockets needs in
// a cluster.
func (n *Node) PushSockets(local push.Sockets) push.Sockets {
	return pushSockets{node: n, local: local}
}

type pushSockets struct {
	node  *Node
	local push.Sockets
}

// Outlets implements push.Sockets: the local ones, then those of the
// nodes that hold the recipient's sockets (every node, for "").
func (p pushSockets) Outlets(recipient string) []push.Outlet {
	out := p.local.Outlets(recipient)
	var t *hub.Target
	if recipient != "" {
		t = &hub.Target{By: hub.ByUser, Key: recipient}
	}
	for _, sn := range p.node.Sockets(t) {
		if a := sn.Auth; a != nil && a.Scheme == string(auth.SchemeToken) {
			topic, _ := a.Claims[auth.ClaimTopic].(string)
			out = append(out, remoteOutlet{node: p.node, id: sn.ID, recipient: sn.UserID, topic: topic})
		}
	}
	return out
}

// remoteOutlet is a push socket on another node.
type remoteOutlet struct {
	node                 *Node
	id, recipient, topic string
}

func (o remoteOutlet) Recipient() string { return o.recipient }

func (o remoteOutlet) Topic() string { return o.topic }

// Send queues frame for its worker; written runs once the socket's node
// has written it.
func (o remoteOutlet) Send(frame []byte, written func()) error {
	out := &o.node.pushOut
	q := out.queues[maphash.String(out.seed, o.id)%pushWorkers]
	select {
	case q <- remoteFrame{id: o.id, frame: frame, written: written}:
		return nil
	default:
		return hub.ErrQueueFull
	}
}

func (o remoteOutlet) Full(err error) bool { return errors.Is(err, hub.ErrQueueFull) }

// Ready implements push.Outlet. The connect delivery of a socket on
// another node runs there, under that node's lock: a push here between
// its registration and that delivery may reach it twice, which the
// cluster's at-least-once delivery allows and the frame's id lets the
// client drop.
func (o remoteOutlet) Ready() bool { return true }

// SetReady implements push.Outlet; only the holding node's Connected
// calls it, on its own outlet.
func (o remoteOutlet) SetReady() {}
