package runtime

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/session"
)

type outMsg struct {
	data   []byte
	binary bool
	// prepared, when set, is data framed once for all the sockets a
	// Fanout sends it to.
	prepared *websocket.PreparedMessage
	// written, when set, is told once the message is written (nil), or
	// that it will not be (the socket closed first): a push delivery, a
	// send that waits for its delivery.
	written func(error)
}

// socket is one live connection. Its reader runs on a goroutine Engine.Start
// starts, or on one a wake starts once it has parked (park_linux.go), and
// dispatches its events. Its writer goroutine is the
// only one that writes to ws, and runs only while there is something to
// write: an idle connection has no writer, which saves the memory of a
// goroutine per idle connection. Pings come from a timer that starts the
// writer.
type socket struct {
	// The fields are in the order a message touches them: the reader's
	// first, then those its send and write take under mu, then the rest.
	// On a socket that is not busy each 64-byte line a message touches
	// is a cache miss; the message path's fields fill four lines, and
	// the fifth holds what it does not touch.

	e     *Engine
	ws    *websocket.Conn
	conn  *luaapi.Conn // entry's view, what events describe
	stats *routeStats  // its route's counters, set once by Serve
	// park, when set, lets the socket wait for its messages without a
	// goroutine while idle (park_linux.go); nil for one whose reader keeps
	// its goroutine.
	park *parking
	// proxy relays the socket to its endpoint's backend; nil for a socket
	// its scripts answer.
	proxy *proxy
	// share is the socket's endpoint's share of the pool, set once by
	// Serve.
	share *endpointShare
	// prog is the program that ran the socket's last event; a close event
	// still runs it after a deploy removed the socket's endpoint. Only the
	// reader goroutine touches it.
	prog *luaapi.Program
	// pol is the endpoint policy in force; only the reader touches it.
	pol     socketPolicy
	limiter *rate.Limiter
	// reqs are the requests waiting for the client's reply; nil until
	// the socket's first request.
	reqs atomic.Pointer[requests]
	// closed is set with closing, for the reader to ask of each message
	// without taking mu.
	closed atomic.Bool
	// builtin is set for a socket of Config.PushRoute, which runs no
	// script: its messages go to Config.Push.
	builtin bool
	// late is set when the socket's last event waited long for a state or ran
	// long, and gone once its client is known to have left: its messages
	// still unread are then dropped (see dispatch). Only the reader
	// goroutine touches them.
	late, gone bool

	in, out atomic.Uint64
	// bytesIn and bytesOut count data messages' payload bytes.
	bytesIn, bytesOut atomic.Uint64
	// lastActivity is when a data message last went either way, in Unix
	// nanoseconds.
	lastActivity atomic.Int64

	writers sync.WaitGroup // the writer, while it runs

	mu    sync.Mutex // guards the fields below, up to timers
	queue []outMsg
	// queued is the bytes of the messages handed to Send and not yet
	// written: the queue's and the batch the writer holds. It counts
	// toward Engine.queued too.
	queued  int64
	spare   []outMsg         // the writer's last batch, reused to avoid allocating
	closing *hub.CloseReason // set once when luagate decides to close the socket
	ended   bool             // the reader has finished: nothing more is sent
	pingDue bool             // the ping wheel asks the writer for a ping
	// dispatching is set while the reader runs an event; run writes
	// afterwards what the event queued. relaying is the same for a proxy
	// socket's downstream goroutine while it queues a frame.
	dispatching, relaying bool
	// writing is set while a writer goroutine runs, and for good once one
	// has sent the close frame or failed: no writer starts after that.
	writing bool
	// timersStarted is set once the socket's hub entry is in place
	// (Serve): a deploy arms no timer before. timersStopped is set once
	// the socket has ended.
	timersStarted, timersStopped bool
	timers                       *policyTimers // nil until one is armed

	entry *hub.Entry // the socket's place in the hub, set once by Serve
	// wait is where the socket's events wait for a state (guarded by
	// pool.mu).
	wait waitSlot
	// pingSlot and pingAt are the socket's place in the engine's ping
	// wheel: its slot, and its index in it plus one, 0 when it is in none
	// (pingWheel.mu guards them).
	pingSlot uint8
	pingAt   int32
	// pushReady is set once push delivered what waited for a push
	// socket on connect (push.Outlet.Ready).
	pushReady atomic.Bool
	// done is called once the close event has run (Engine.Start).
	done func()
}

func newSocket(e *Engine, ws *websocket.Conn) *socket {
	s := &socket{e: e, ws: ws}
	if !e.cfg.NoRateLimit {
		s.limiter = rate.NewLimiter(rate.Limit(e.cfg.RateLimit), max(1, int(e.cfg.RateLimit)))
	}
	return s
}

// Send queues a message for the writer. It implements luaapi.Peer and
// hub.Socket.
func (s *socket) Send(msg []byte, binary bool) error {
	return s.send(outMsg{data: msg, binary: binary}, nil)
}

// SendFanout queues f's message as a frame shared with f's other
// sockets, and leaves an idle writer to f to wake. It implements
// hub.FanoutSocket.
func (s *socket) SendFanout(f *hub.Fanout) error {
	pm, _ := f.Frame(func() any {
		typ := websocket.TextMessage
		if f.Binary {
			typ = websocket.BinaryMessage
		}
		pm, err := websocket.NewPreparedMessage(typ, f.Data)
		if err != nil {
			return nil // written unprepared
		}
		return pm
	}).(*websocket.PreparedMessage)
	return s.send(outMsg{data: f.Data, binary: f.Binary, prepared: pm}, f)
}

// send queues m for the writer, whose start it leaves to f if f is not nil.
func (s *socket) send(m outMsg, f *hub.Fanout) error {
	cfg := &s.e.cfg
	n := int64(len(m.data))
	if n > cfg.MaxSendBytes {
		return tooBig(n, cfg.MaxSendBytes)
	}
	s.mu.Lock()
	switch {
	case s.ended || s.closing != nil:
		s.mu.Unlock()
		return luaapi.ErrSocketClosed
	case len(s.queue) >= cfg.SendQueue:
		s.mu.Unlock()
		s.stats.queueFull.Add(1)
		return luaapi.ErrQueueFull
	case s.queued+n > cfg.SendQueueBytes:
		queued := s.queued
		s.mu.Unlock()
		s.stats.queueFull.Add(1)
		return queueFull("%d bytes are waiting for this client, the limit is %d", queued, cfg.SendQueueBytes)
	}
	if total := s.e.queued.Add(n); total > cfg.SendTotalBytes {
		s.e.queued.Add(-n)
		s.mu.Unlock()
		s.stats.queueFull.Add(1)
		return queueFull("the server holds %d bytes for slow clients, the limit is %d", total-n, cfg.SendTotalBytes)
	}
	s.queued += n
	s.queue = append(s.queue, m)
	if f != nil && s.mayStartWriterLocked() {
		s.writing = true
		s.writers.Add(1)
		s.mu.Unlock()
		f.Idle(s)
		return nil
	}
	s.startWriterLocked()
	s.mu.Unlock()
	return nil
}

// tooBig and queueFull are send's refusals, made out of line: formatting
// them in send took its frame 136 bytes more of the reader's stack, on
// which a script's sends run (see setDataEvent).
//
//go:noinline
func tooBig(n, limit int64) error {
	return fmt.Errorf("%w: a message of %d bytes is over the limit of %d", luaapi.ErrBadArgument, n, limit)
}

//go:noinline
func queueFull(format string, n, limit int64) error {
	return fmt.Errorf("%w: "+format, luaapi.ErrQueueFull, n, limit)
}

// StartWriter starts the writer, whose role the caller took for it, on
// one of the engine's workers: for a Fanout (it implements hub.Writer),
// and for Send, CloseWith, the ping wheel and a reader handing on.
func (s *socket) StartWriter() { s.e.workers.Go((*writerTask)(s)) }

// Close closes the socket on a script's behalf, through the hub so that it
// is unlisted at once. It implements luaapi.Peer.
func (s *socket) Close() error { return s.entry.Close(hub.CloseByScript) }

// CloseWith starts closing: the writer sends what is queued, then a close
// frame with reason, and the reader waits briefly for the client's answer.
// It implements hub.Socket; everything else closes a socket through its
// hub entry.
func (s *socket) CloseWith(reason hub.CloseReason) error {
	s.mu.Lock()
	if s.ended || s.closing != nil {
		s.mu.Unlock()
		return luaapi.ErrSocketClosed
	}
	s.closing = &reason
	s.closed.Store(true)
	s.startWriterLocked()
	s.mu.Unlock()
	s.e.pool.cancel(&s.wait)
	s.failRequests() // no reply is read once the socket is closing
	return nil
}

// startWriterLocked starts the writer goroutine unless a writer is
// running, may not run, or the reader is running an event (run writes
// after it). s.mu must be held.
func (s *socket) startWriterLocked() {
	if !s.mayStartWriterLocked() {
		return
	}
	s.writing = true
	s.writers.Add(1)
	s.StartWriter()
}

// mayStartWriterLocked reports whether a writer may start: none runs, the
// reader has not ended and is not running an event (run writes after
// it). s.mu must be held.
func (s *socket) mayStartWriterLocked() bool {
	return !s.writing && !s.ended && !s.dispatching && !s.relaying
}

// pingNow has the writer ping the socket, for the ping wheel.
func (s *socket) pingNow() {
	s.mu.Lock()
	if s.closing == nil {
		s.pingDue = true
		s.startWriterLocked()
	}
	s.mu.Unlock()
}

func (s *socket) isClosing() bool { return s.closed.Load() }

// taken is what take hands the writer: the batch to write, then whether
// to ping and to close; or stop, when the writer stops.
type taken struct {
	batch   []outMsg
	closing *hub.CloseReason
	ping    bool
	stop    bool
}

// take hands the writer everything queued and what to do after it, or
// tells it to stop: when the reader has ended, or when there is nothing to
// do, in which case the writer is no longer running for anyone.
func (s *socket) take() taken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeLocked()
}

// hasWorkLocked reports whether the writer has something to do: messages,
// a close or a ping. s.mu must be held.
func (s *socket) hasWorkLocked() bool {
	return len(s.queue) > 0 || s.closing != nil || s.pingDue
}

// takeLocked is take with s.mu held.
func (s *socket) takeLocked() taken {
	if s.ended {
		return taken{stop: true}
	}
	if !s.hasWorkLocked() {
		s.writing = false
		return taken{stop: true}
	}
	t := taken{batch: s.queue, closing: s.closing, ping: s.pingDue}
	s.queue, s.spare, s.pingDue = s.spare[:0], nil, false
	return t
}

// recycle returns a written batch's storage for reuse, dropping the
// references it holds so the messages can be collected, and stops counting
// its bytes as queued. With next, it also takes what the writer does next,
// under the same lock.
func (s *socket) recycle(batch []outMsg, next bool) (t taken) {
	var n int64
	for _, m := range batch {
		n += int64(len(m.data))
	}
	clear(batch)
	s.e.queued.Add(-n)
	s.mu.Lock()
	s.queued -= n
	s.spare = batch[:0]
	if next {
		t = s.takeLocked()
	}
	s.mu.Unlock()
	if s.proxy != nil {
		select {
		case s.proxy.room <- struct{}{}:
		default:
		}
	}
	return t
}

// writerTask is a socket's writer, run on one of the engine's workers.
// It returns when it has nothing left to do; Send, CloseWith, the ping
// wheel and a Fanout start it again.
type writerTask socket

// Run implements workpool.Task.
func (t *writerTask) Run() {
	s := (*socket)(t)
	defer s.writers.Done()
	s.write(time.Time{}, s.take(), 0)
}

// write writes what take handed the writer, t, and what it takes after,
// up to limit batches if limit is not 0, and reports whether the writer
// goes on after them. now is a clock reading just taken, for the first
// write's deadline, or zero. Only the one writer (see writing) calls it.
func (s *socket) write(now time.Time, t taken, limit int) (more bool) {
	for n := 1; !t.stop; n++ {
		last := t.ping || t.closing != nil || n == limit
		if !s.writeBatch(now, t.batch) {
			return false
		}
		now = time.Time{}
		// A batch's storage goes back under the lock that takes the
		// next one; a ping or a close is written before the next take.
		next := taken{stop: true}
		if t.batch != nil {
			next = s.recycle(t.batch, !last)
		}
		if t.ping {
			if err := s.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.e.cfg.WriteTimeout)); err != nil {
				s.writeFailed(err)
				return false
			}
		}
		if t.closing != nil {
			msg := websocket.FormatCloseMessage(t.closing.Code, t.closing.Text)
			_ = s.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.e.cfg.WriteTimeout))
			_ = s.setReadDeadline(time.Now().Add(closeGrace))
			return false
		}
		if n == limit {
			return true
		}
		if last {
			next = s.take()
		}
		t = next
	}
	return false
}

// writeBatch writes batch's messages and reports whether they all went.
// now is as for write.
func (s *socket) writeBatch(now time.Time, batch []outMsg) bool {
	// The clock reading of the last write's deadline is when the socket
	// was last active: reading the clock once more per batch cost an
	// event as much as timing its execution does. A reply written as its
	// execution ends takes the reading that timed the execution.
	for i, m := range batch {
		typ := websocket.TextMessage
		if m.binary {
			typ = websocket.BinaryMessage
		}
		if i > 0 || now.IsZero() {
			now = time.Now()
		}
		_ = s.ws.SetWriteDeadline(writeDeadline(now, s.e.cfg.WriteTimeout))
		var err error
		if m.prepared != nil {
			err = s.ws.WritePreparedMessage(m.prepared)
		} else {
			err = s.ws.WriteMessage(typ, m.data)
		}
		if err != nil {
			notDelivered(batch[i:])
			s.writeFailed(err)
			return false
		}
		s.out.Add(1)
		s.bytesOut.Add(uint64(len(m.data)))
		if m.written != nil {
			m.written(nil)
		}
	}
	if len(batch) > 0 {
		s.touch(now)
	}
	return true
}

// writeDeadline is the deadline of a write starting at now: timeout
// later, rounded up to a sixteenth of timeout, so that the writes of a
// busy socket share one deadline and its connection's deadline changes at
// most sixteen times per timeout (see lentConn.SetWriteDeadline).
func writeDeadline(now time.Time, timeout time.Duration) time.Time {
	g := int64(timeout / 16)
	n := now.UnixNano() + int64(timeout) + g
	if g > 0 {
		// Not Time.Truncate, whose division is a loop for a g that is
		// not a fraction or a multiple of a second.
		n -= n % g
	}
	return time.Unix(0, n)
}

// run dispatches ev, then writes what it queued. While the event runs no
// writer goroutine starts: the reader takes the writer's part afterwards
// for a batch or two, and hands anything longer to a writer goroutine, so
// it never writes for long. Starting a goroutine for each reply cost a
// scheduling delay per message: the new goroutine waited behind the other
// sockets its processor had to run.
func (s *socket) run(ev *luaapi.Event) {
	s.mu.Lock()
	s.dispatching = true
	s.mu.Unlock()
	ended := s.e.dispatch(s, ev)
	s.mu.Lock()
	s.dispatching = false
	s.writeAfter(ended)
}

// writeAfter takes the writer's part, if no writer runs and there is
// something to write, for a batch or two, and hands anything longer to a
// writer goroutine. now is a clock reading just taken, or zero. s.mu must
// be held; writeAfter releases it.
func (s *socket) writeAfter(now time.Time) {
	if !s.mayStartWriterLocked() || !s.hasWorkLocked() {
		s.mu.Unlock()
		return
	}
	s.writing = true
	s.writers.Add(1)
	t := s.takeLocked()
	s.mu.Unlock()
	if s.write(now, t, 2) {
		s.StartWriter()
		return
	}
	s.writers.Done()
}

// Drop cuts the connection, which ends the reader. It implements
// hub.Socket.
func (s *socket) Drop() {
	_ = s.ws.NetConn().Close()
	s.dropped()
	s.e.pool.cancel(&s.wait)
}

// clientGone reports whether the client has left, although messages it
// sent before may still be unread.
func (s *socket) clientGone() bool { return s.ws != nil && connClosed(s.ws.NetConn()) }

// Stats implements hub.Socket.
func (s *socket) Stats() hub.Stats {
	st := hub.Stats{MessagesIn: s.in.Load(), MessagesOut: s.out.Load(),
		BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load(), LastActivityAt: s.lastActive()}
	if s.proxy != nil {
		st.Backend = s.proxy.stats()
	}
	return st
}

// writeFailed ends a socket the writer can no longer write to. A timeout
// means the client stopped reading, which the close event reports as such.
func (s *socket) writeFailed(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		s.mu.Lock()
		if s.closing == nil {
			s.closing = &hub.CloseStalled
			s.closed.Store(true)
		}
		s.mu.Unlock()
	}
	s.Drop()
}

func (s *socket) extendReadDeadline() error {
	return s.setReadDeadline(time.Now().Add(s.e.cfg.PingInterval + s.e.cfg.PongTimeout))
}

// setReadDeadline sets the read deadline, through the parking state of a
// socket that has one.
func (s *socket) setReadDeadline(t time.Time) error {
	if s.park != nil {
		return s.park.setReadDeadline(t)
	}
	return s.ws.SetReadDeadline(t)
}

// end stops the writer and closes the connection once the reader is done,
// and releases what was queued and never written.
func (s *socket) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.e.pings.remove(s)
	_ = s.ws.Close()
	s.writers.Wait()
	s.mu.Lock()
	s.e.queued.Add(-s.queued)
	notDelivered(s.queue)
	s.queued, s.queue, s.spare = 0, nil, nil
	s.mu.Unlock()
	s.failRequests()
}

// notDelivered tells the sends among msgs that wait for their delivery
// that it will not happen.
func notDelivered(msgs []outMsg) {
	for _, m := range msgs {
		if m.written != nil {
			m.written(luaapi.ErrSocketClosed)
		}
	}
}

// closedSession is the socket's session once it has ended for reason.
func (s *socket) closedSession(reason hub.CloseReason) session.Record {
	rec := activeSession(hub.Snapshot{Conn: *s.entry.Record(), Stats: s.Stats()})
	rec.Status, rec.ClosedAt, rec.CloseCode, rec.CloseReason = session.Closed, time.Now(), reason.Code, reason.Text
	return rec
}
