package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/session"
)

// ErrBackendUnavailable wraps a proxy endpoint's backend that refused its
// upgrade or did not answer within Config.BackendDialTimeout.
var ErrBackendUnavailable = errors.New("backend unavailable")

// Backend is a proxy socket's connection to its endpoint's backend,
// dialled before the client's upgrade completes. ServeProxy takes it
// over; Close releases one whose client's upgrade failed.
type Backend struct {
	ws *websocket.Conn
}

// Close releases a backend no socket took over.
func (b *Backend) Close() { _ = b.ws.Close() }

// closeWith sends the backend a close frame with reason, without waiting
// for its answer, and releases it.
func (b *Backend) closeWith(reason hub.CloseReason, timeout time.Duration) {
	b.sendClose(reason, timeout)
	b.Close()
}

// sendClose sends the backend a close frame with reason: the same code,
// but 1001 for a client that left without a close frame, a code no frame
// may carry.
func (b *Backend) sendClose(reason hub.CloseReason, timeout time.Duration) {
	code := reason.Code
	if code == websocket.CloseAbnormalClosure || code == websocket.CloseTLSHandshake {
		code = websocket.CloseGoingAway
	}
	_ = b.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason.Text), time.Now().Add(timeout))
}

// DialBackend dials the backend of the endpoint of c, for the socket c is
// the record of: the endpoint's --#BACKEND URL with c's path parameters and
// query string, and its --#BACKEND_HEADERS. It returns nil and no error for
// an endpoint without a backend.
func (e *Engine) DialBackend(ctx context.Context, c *hub.Conn) (*Backend, error) {
	ep, ok := e.Solution().Endpoint(c.Route)
	if !ok || ep.Policy.Backend == nil {
		return nil, nil
	}
	b := ep.Policy.Backend
	query := ""
	if u, err := url.Parse(c.URI); err == nil {
		query = u.RawQuery // without the credentials authentication took out
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.BackendDialTimeout)
	defer cancel()
	d := websocket.Dialer{HandshakeTimeout: e.cfg.BackendDialTimeout, ReadBufferSize: readBufferSize, WriteBufferPool: backendBuffers}
	ws, resp, err := d.DialContext(ctx, b.FillBackendURL(c.Parameters, query), b.FillHeaders(c.ID, c.UserID))
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("%w: the backend of %s: %w", ErrBackendUnavailable, c.Route, err)
	}
	ws.SetReadLimit(min(e.cfg.MaxMessageBytes, e.cfg.MaxSendBytes))
	return &Backend{ws: ws}, nil
}

// backendBuffers are the write buffers of backend connections, held only
// while a frame is written.
var backendBuffers = &sync.Pool{}

// proxy relays a socket's frames to and from its backend. Upstream frames
// are written by the socket's reader itself, so a slow backend slows the
// client's reads; downstream frames are read by the proxy's own goroutine
// and queued to the socket, which waits while the queue is full, so a slow
// client slows the backend's reads. Nothing is buffered beyond the send
// queue. The endpoint's script, when it has code, filters each frame; the
// two directions' executions take turns (mu), so that a socket's events
// never overlap.
type proxy struct {
	s *socket
	b *Backend
	// mu is held while a filter runs, by the reader or the downstream
	// goroutine.
	mu sync.Mutex
	// wmu makes the reader's writes and the close frame one writer.
	wmu sync.Mutex
	// lim is the socket's limiter, as the reader last saw it: frames both
	// ways count against it.
	lim atomic.Pointer[rate.Limiter]
	// downWait is where a downstream filter waits for a Lua state.
	downWait waitSlot
	// stopping is set once the client side has ended; the backend is then
	// being closed and its close is not the client's.
	stopping atomic.Bool
	stop     chan struct{} // closed by end: the downstream goroutine gives up waiting
	done     chan struct{} // closed when the downstream goroutine returns
	// room tells the downstream goroutine that the socket's send queue has
	// room again.
	room chan struct{}

	framesUp, framesDown, bytesUp, bytesDown atomic.Uint64
}

func newProxy(s *socket, b *Backend) *proxy {
	return &proxy{s: s, b: b, stop: make(chan struct{}), done: make(chan struct{}), room: make(chan struct{}, 1)}
}

// start relays the backend's frames from now on. The reader calls it after
// the open event.
func (p *proxy) start() {
	p.s.policy()
	p.lim.Store(p.s.limiter)
	go p.readBackend()
}

// up relays a client's frame that passed the socket's rate limit. Only the
// reader calls it.
func (p *proxy) up(typ int, data []byte, now time.Time, pol *endpointPolicy) {
	p.lim.Store(p.s.limiter)
	msg, binary := data, typ == websocket.BinaryMessage
	if pol.filter {
		var ev luaapi.Event
		p.s.setDataEvent(&ev, typ, data, now)
		ev.Direction = luaapi.DirectionUp
		var keep bool
		if msg, binary, keep = p.filter(&ev, &p.s.wait); !keep {
			return
		}
	}
	typ = websocket.TextMessage
	if binary {
		typ = websocket.BinaryMessage
	}
	p.wmu.Lock()
	_ = p.b.ws.SetWriteDeadline(time.Now().Add(p.s.e.cfg.WriteTimeout))
	err := p.b.ws.WriteMessage(typ, msg)
	p.wmu.Unlock()
	if err != nil {
		_ = p.s.entry.Close(hub.CloseBackendGone)
		return
	}
	p.framesUp.Add(1)
	p.bytesUp.Add(uint64(len(msg)))
}

// filter runs the endpoint's script for the frame ev, waiting at slot for
// a state, and returns what to relay instead, or keep false to drop it.
// A script that fails drops the frame: a filter is not bypassed by making
// it raise.
func (p *proxy) filter(ev *luaapi.Event, slot *waitSlot) (msg []byte, binary, keep bool) {
	s, e := p.s, p.s.e
	msg, binary = ev.Message, ev.Binary
	ev.Reply = func(m []byte, b bool) error {
		msg, binary = m, b
		return nil
	}
	rev := e.rev.Load()
	prog := rev.program(s.conn.Route)
	if prog == nil {
		return msg, binary, true
	}
	ev.Policy = rev.policyOf(s.conn.Route).info
	p.mu.Lock()
	defer p.mu.Unlock()
	pv, _ := e.pool.get(s.share, slot, dataEvent)
	if pv == nil {
		return nil, false, false // the socket closed while the frame waited
	}
	_, ran, _, err := e.execute(pv, prog, ev)
	s.stats.executed(dataEvent, ran, err)
	if err != nil || ev.Dropped {
		return nil, false, false
	}
	return msg, binary, true
}

// readBackend is the downstream goroutine: it relays the backend's frames
// to the socket until the backend's connection ends.
func (p *proxy) readBackend() {
	defer close(p.done)
	s := p.s
	for {
		typ, data, err := p.b.ws.ReadMessage()
		if err != nil {
			p.backendEnded(err)
			return
		}
		p.framesDown.Add(1)
		p.bytesDown.Add(uint64(len(data)))
		if typ == websocket.TextMessage && !utf8.Valid(data) {
			_ = s.entry.Close(hub.CloseInvalidUTF8)
			continue
		}
		if !p.allow() {
			continue
		}
		msg, binary := data, typ == websocket.BinaryMessage
		rev := s.e.rev.Load()
		if rev.policyOf(s.conn.Route).filter {
			ev := luaapi.Event{Type: luaapi.EventData, Conn: s.conn, Peer: s, Message: data, Binary: binary,
				Timestamp: time.Now(), Direction: luaapi.DirectionDown}
			var keep bool
			if msg, binary, keep = p.filter(&ev, &p.downWait); !keep {
				continue
			}
		}
		p.deliver(msg, binary)
	}
}

// allow takes a downstream frame from the socket's rate limit, and answers
// one over it as the endpoint's policy says.
func (p *proxy) allow() bool {
	lim := p.lim.Load()
	if lim == nil || lim.Allow() {
		return true
	}
	r := p.s.e.rev.Load().policyOf(p.s.conn.Route).rate
	switch {
	case r == nil:
		return true
	case r.close:
		_ = p.s.entry.Close(hub.CloseRateLimited(r.message))
	default:
		_ = p.s.Send(r.frame, false)
	}
	return false
}

// deliver queues a downstream frame, waiting while the socket's queue is
// full: the backend's frames wait in the backend's connection meanwhile.
// A frame for a socket that is closing is dropped. Like the reader after
// an event, the downstream goroutine writes the frame itself when no
// writer runs, rather than wake one for each frame.
func (p *proxy) deliver(msg []byte, binary bool) {
	s := p.s
	for {
		s.mu.Lock()
		s.relaying = true
		s.mu.Unlock()
		err := s.Send(msg, binary)
		s.mu.Lock()
		s.relaying = false
		s.writeAfter(time.Time{})
		if !errors.Is(err, luaapi.ErrQueueFull) {
			return
		}
		// The socket's writer says when its queue has room; the bytes
		// held for all sockets (Config.SendTotalBytes) free up without
		// telling, so the wait is also bounded.
		t := time.NewTimer(roomPoll)
		select {
		case <-p.room:
		case <-t.C:
		case <-p.stop:
			t.Stop()
			return
		}
		t.Stop()
	}
}

// roomPoll is how long a downstream frame waits for the send queue before
// it tries again.
const roomPoll = 50 * time.Millisecond

// backendEnded closes the socket as its backend's connection ended: with
// the backend's close code and reason, or 1014 when it vanished. When the
// client side ended first, the backend's end is only its answer.
func (p *proxy) backendEnded(err error) {
	if p.stopping.Load() {
		return
	}
	reason := hub.CloseBackendGone
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure && ce.Code != websocket.CloseTLSHandshake:
		reason = hub.CloseReason{Code: ce.Code, Text: ce.Text}
	case errors.Is(err, websocket.ErrReadLimit):
		reason = hub.CloseTooBig
	}
	_ = p.s.entry.Close(reason)
}

// end closes the backend once the client side has ended for reason: the
// backend gets the same code and reason (see sendClose), and a moment to
// answer. It returns once the downstream goroutine has.
func (p *proxy) end(reason hub.CloseReason) {
	p.stopping.Store(true)
	close(p.stop)
	p.b.sendClose(reason, p.s.e.cfg.WriteTimeout)
	t := time.NewTimer(closeGrace)
	select {
	case <-p.done:
	case <-t.C:
	}
	t.Stop()
	_ = p.b.ws.Close()
	p.s.e.pool.cancel(&p.downWait)
	<-p.done
}

// stats counts what the proxy relayed.
func (p *proxy) stats() *session.Backend {
	return &session.Backend{FramesUp: p.framesUp.Load(), FramesDown: p.framesDown.Load(),
		BytesUp: p.bytesUp.Load(), BytesDown: p.bytesDown.Load()}
}
