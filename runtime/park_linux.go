package runtime

import (
	"bufio"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/hub"
)

// Who reads a socket that can park: the low bits of parking.state.
const (
	// parkReading: a goroutine reads or handles the socket's frames.
	parkReading uint32 = iota
	// parkWaiting: its goroutine waits for the next frame, and the poller's
	// sweep may cut the wait short to park the socket.
	parkWaiting
	// parkInterrupted: the sweep has cut the wait short.
	parkInterrupted
	// parkParked: no goroutine; the poller waits for the socket to become
	// readable, and its sweep for the read deadline to pass.
	parkParked

	// parkStateBits is the state's share of parking.state; the rest, while
	// the reader waits, counts its waits (parking.wait).
	parkStateBits = 2
)

// stateOf is the state in parking.state's word w.
func stateOf(w uint32) uint32 { return w & (1<<parkStateBits - 1) }

// longAgo is a read deadline that has passed: it ends a read at once.
var longAgo = time.Unix(1, 0)

// parking is the state of a socket that waits for its messages without a
// goroutine while idle: a plain TCP connection upgraded through
// LendingWriter, of an endpoint that is not a proxy. Its reader waits for
// each frame on its goroutine as any reader does, so a busy socket costs
// no system call more; once a wait has lasted parkSweeps sweeps of the
// poller, the reader gives its read buffer back, arms the connection in the poller's
// epoll set and returns. Readiness, the read deadline passing (seen by the
// sweep, so up to idleSweep late), or Drop then start a goroutine that
// reads on: the read fails at once if it was the deadline. A timer per
// socket would be exact, and would cost each idle socket a tenth more
// memory.
type parking struct {
	s  *socket
	lc *lentConn
	id uint64 // the socket's key in the poller, set once by poller.add

	// state is who reads the socket (stateOf), and while the reader waits
	// the count of its waits as well. The reader's wait sets and clears
	// it without mu, with a store and a compare-and-swap: a lock there
	// cost each message four atomic instructions more. Every other change
	// is made under mu.
	state atomic.Uint32
	// waits counts the reader's waits; only the reader touches it.
	waits uint32

	mu sync.Mutex // guards the fields below
	// deadline is the read deadline in force, set again after a wait the
	// sweep cut short, and the sweep's to enforce while parked.
	deadline time.Time
	// swept is the state word of the wait the sweeps before saw, and
	// sweeps how many saw it, so that a wait the sweep has seen
	// parkSweeps times has lasted that many sweeps at least.
	swept  uint32
	sweeps uint8
	added  bool // the connection is in the epoll set
}

// parkingFor is the parking state of s, or nil if s keeps a goroutine.
func (e *Engine) parkingFor(s *socket) *parking {
	lc, ok := s.ws.NetConn().(*lentConn)
	if !ok || s.proxy != nil {
		return nil
	}
	if _, err := lc.SyscallConn(); err != nil {
		return nil
	}
	p := &parking{s: s, lc: lc}
	if !e.idle.add(p) {
		return nil
	}
	return p
}

// read reads and dispatches the socket's messages until the connection
// ends, and returns why it ended; or returns ended false if the socket
// parked.
func (s *socket) read() (reason hub.CloseReason, ended bool) {
	if s.park == nil {
		return s.readLoop(), true
	}
	return s.readParked(true)
}

// readParked is readLoop for a socket that can park. Gorilla handles pings
// and pongs only while it waits for a data message, so a socket that left
// them to it would keep a goroutine waiting there after each pong: the
// reader handles them itself (controlFrame) and calls NextReader only when
// another frame has begun. A socket that has just opened parks at once
// (fresh), as does one woken by nothing but a pong; a wake reads first, as
// readiness, the read deadline or Drop woke it.
func (s *socket) readParked(fresh bool) (reason hub.CloseReason, ended bool) {
	p := s.park
	br := p.lc.br
	quick, data := fresh, false
	for {
		if br.Buffered() == 0 {
			if quick && p.park() {
				return reason, false
			}
			quick = false
			if p.wait(br) {
				if p.park() {
					return reason, false
				}
				continue
			}
		}
		if s.controlFrame(br) {
			quick = !fresh && !data
			continue
		}
		typ, r, err := s.ws.NextReader()
		if err == nil {
			data = true
			buf := msgBuffers.Get().(*[]byte)
			err = s.receive(typ, r, buf)
			if cap(*buf) <= maxPooledBuffer {
				msgBuffers.Put(buf)
			}
		}
		if err != nil {
			return s.endReason(err), true
		}
	}
}

// controlFrame handles a ping or a pong at the head of br as gorilla
// would, and reports whether there was one. Anything else, and any error,
// is left to NextReader.
func (s *socket) controlFrame(br *bufio.Reader) bool {
	h, err := br.Peek(2)
	if err != nil {
		return false
	}
	op, n := int(h[0]&0x0f), int(h[1]&0x7f)
	const fin, masked = 0x80, 0x80
	if h[0]&0xf0 != fin || (op != websocket.PingMessage && op != websocket.PongMessage) || h[1]&masked == 0 || n > 125 {
		return false // not one, or a protocol error gorilla answers
	}
	f, err := br.Peek(6 + n)
	if err != nil {
		return false
	}
	if op == websocket.PongMessage {
		_, _ = br.Discard(6 + n)
		_ = s.extendReadDeadline()
		return true
	}
	var payload [125]byte
	for i := range n {
		payload[i] = f[6+i] ^ f[2+i%4]
	}
	_, _ = br.Discard(6 + n)
	// As gorilla's own ping handler: a pong that cannot be written is
	// not the reader's failure.
	_ = s.ws.WriteControl(websocket.PongMessage, payload[:n], time.Now().Add(time.Second))
	return true
}

// wait waits on the reader's goroutine until br has bytes, the read fails,
// or the sweep cuts the wait short; it reports the last, with br empty.
func (p *parking) wait(br *bufio.Reader) (idle bool) {
	p.waits++
	waiting := p.waits<<parkStateBits | parkWaiting
	p.state.Store(waiting)
	_, err := br.Peek(1)
	if p.state.CompareAndSwap(waiting, parkReading) {
		return false
	}
	// The sweep cut the wait short, under mu, which it holds until the
	// connection's deadline has passed: the reader sets it back after.
	p.mu.Lock()
	_ = p.lc.SetReadDeadline(p.deadline)
	p.state.Store(parkReading)
	p.mu.Unlock()
	return err != nil && br.Buffered() == 0
}

// sweep, which the poller calls every idleSweep, cuts the reader's wait
// short once it has lasted parkSweeps sweeps, and wakes a parked socket
// whose read deadline has passed at now.
func (p *parking) sweep(now time.Time) {
	if st := stateOf(p.state.Load()); st != parkWaiting && st != parkParked {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch w := p.state.Load(); stateOf(w) {
	case parkParked:
		if !now.Before(p.deadline) {
			p.wakeLocked()
		}
	case parkWaiting:
		if p.swept != w {
			p.swept, p.sweeps = w, 0
			return
		}
		if p.sweeps++; p.sweeps < parkSweeps {
			return
		}
		// The wait may end meanwhile: then it is not cut.
		if p.state.CompareAndSwap(w, parkInterrupted) {
			_ = p.lc.SetReadDeadline(longAgo)
		}
	}
}

// park gives back the read buffer and hands the socket to the poller, and
// reports whether it could; the reader then returns. br must be empty.
func (p *parking) park() bool {
	p.s.idle()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !time.Now().Before(p.deadline) {
		return false // the read that follows fails at once
	}
	p.lc.release()
	// The connection's syscall.RawConn is asked for at each park rather
	// than kept: it would cost an idle socket 24 bytes, a park 8.
	raw, err := p.lc.SyscallConn()
	if err != nil || !p.s.e.idle.arm(p.id, raw, p.added) {
		p.lc.borrow()
		return false
	}
	p.added = true
	p.state.Store(parkParked)
	return true
}

// idle lets go of what a socket about to park can make again when it
// wakes: the storage of the writer's batches, and its connection's Lua
// tables of headers and parameters (luaapi.Conn.Idle).
func (s *socket) idle() {
	s.mu.Lock()
	s.spare = nil
	if len(s.queue) == 0 {
		s.queue = nil
	}
	s.mu.Unlock()
	s.conn.Idle()
}

// wake starts a goroutine reading the socket if it is parked.
func (p *parking) wake() {
	p.mu.Lock()
	p.wakeLocked()
	p.mu.Unlock()
}

func (p *parking) wakeLocked() {
	if stateOf(p.state.Load()) != parkParked {
		return
	}
	p.state.Store(parkReading)
	go p.s.resume()
}

// resume reads the socket a wake has handed back. It runs on a goroutine
// of its own rather than one of the engine's workers: a reader runs
// scripts, and a kept worker would hold the stack they grew long after
// the socket has parked again.
func (s *socket) resume() {
	s.park.lc.borrow()
	if reason, ended := s.readParked(false); ended {
		s.finish(reason)
	}
}

// setReadDeadline sets the read deadline of a socket that can park: it is
// the one the reader sets again after a wait the sweep cut short, and the
// one the sweep wakes a parked socket at.
func (p *parking) setReadDeadline(t time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadline = t
	if stateOf(p.state.Load()) == parkInterrupted {
		return nil // the reader sets it
	}
	return p.lc.SetReadDeadline(t)
}

// dropped wakes a parked socket whose connection Drop has closed: the
// kernel forgets a closed connection's place in the epoll set without an
// event.
func (s *socket) dropped() {
	if s.park != nil {
		s.park.wake()
	}
}

// released lets the poller forget an ended socket, and gives its read
// buffer back.
func (s *socket) released() {
	p := s.park
	if p == nil {
		return
	}
	s.e.idle.forget(p.id)
	p.mu.Lock()
	p.lc.release()
	p.mu.Unlock()
}
