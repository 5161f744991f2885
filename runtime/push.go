package runtime

import (
	"errors"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/push"
)

// PushHandler is what the engine calls for the sockets a push token
// opened: push.Service implements it.
type PushHandler interface {
	// Connected delivers what waits for the socket's recipient. It runs on
	// the socket's reader after its open event and before its first
	// message is read.
	Connected(o push.Outlet) error
	// Received handles a message on the built-in endpoint.
	Received(o push.Outlet, msg []byte)
}

// isBuiltin reports whether route is the built-in push endpoint.
func (e *Engine) isBuiltin(route string) bool {
	return e.cfg.PushRoute != "" && route == e.cfg.PushRoute && e.cfg.Push != nil
}

// pushConnected delivers a push socket's waiting messages.
func (e *Engine) pushConnected(s *socket) {
	c := s.entry.Record()
	if e.cfg.Push == nil || !isPushSocket(c) {
		return
	}
	if err := e.cfg.Push.Connected(s.outlet()); err != nil {
		e.cfg.Logger.Error("push: delivery on connect failed", "socket_id", c.ID, "recipient", c.UserID, "error", err)
	}
}

func isPushSocket(c *hub.Conn) bool {
	return c.Auth != nil && c.Auth.Scheme == string(auth.SchemeToken)
}

// outlet is s as push sees it.
func (s *socket) outlet() push.Outlet {
	return outlet{s: s, conn: s.entry.Record()}
}

type outlet struct {
	s    *socket
	conn *hub.Conn
}

func (o outlet) Recipient() string { return o.conn.UserID }

func (o outlet) Topic() string { return pushTopic(o.conn) }

func (o outlet) Send(frame []byte, written func()) error {
	m := outMsg{data: frame}
	if written != nil {
		m.written = func(err error) {
			if err == nil {
				written()
			}
		}
	}
	return o.s.send(m, nil)
}

func (o outlet) Full(err error) bool { return errors.Is(err, luaapi.ErrQueueFull) }

func (o outlet) Ready() bool { return o.s.pushReady.Load() }

func (o outlet) SetReady() { o.s.pushReady.Store(true) }

func pushTopic(c *hub.Conn) string {
	t, _ := c.Auth.Claims[auth.ClaimTopic].(string)
	return t
}

// PushSockets finds the push sockets of h, whose sockets are this
// package's: it implements push.Sockets for the sockets of this process.
func PushSockets(h *hub.Hub) push.Sockets { return pushSockets{h} }

type pushSockets struct{ h *hub.Hub }

func (p pushSockets) Outlets(recipient string) []push.Outlet {
	var out []push.Outlet
	add := func(c *hub.Conn, sock hub.Socket) {
		if s, ok := sock.(*socket); ok && isPushSocket(c) {
			out = append(out, outlet{s: s, conn: c})
		}
	}
	if recipient == "" {
		p.h.EachOf(nil, add)
	} else {
		p.h.EachOf(&luaapi.Target{By: luaapi.ByUser, Key: recipient}, add)
	}
	return out
}
