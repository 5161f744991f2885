package runtime

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// errNotHijacker is a response writer an upgrade cannot take the
// connection from.
var errNotHijacker = errors.New("response writer does not implement http.Hijacker")

// readBufferSize is a connection's read buffer, a client's or a
// backend's: larger frames bypass it.
const readBufferSize = 1024

// readBuffers are the read buffers sockets read their messages through.
// A socket that waits for its next message without a goroutine gives its
// buffer back (lentConn.release), so only sockets that are reading hold
// one. It keeps a few spare buffers and leaves the rest to the collector:
// a sync.Pool would keep the buffers of every socket that has just parked
// alive through a collection, and the collector's goal, which sets how
// much memory the process keeps, grows with what is live.
var readBuffers = bufferList{max: spareReadBuffers}

// spareReadBuffers is how many free read buffers readBuffers keeps.
const spareReadBuffers = 64

// bufferList is a bounded free list of read buffers.
type bufferList struct {
	mu   sync.Mutex
	free []*bufio.Reader
	max  int
}

func (l *bufferList) get() *bufio.Reader {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		br := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return br
	}
	l.mu.Unlock()
	return bufio.NewReaderSize(nil, readBufferSize)
}

func (l *bufferList) put(br *bufio.Reader) {
	l.mu.Lock()
	if len(l.free) < l.max {
		l.free = append(l.free, br)
	}
	l.mu.Unlock()
}

// LendingWriter wraps w, the response writer of a WebSocket upgrade, so
// that the connection is read through a buffer the engine lends it: an
// idle socket then holds none (on Linux, a plain TCP connection). It is for
// a websocket.Upgrader whose ReadBufferSize is 0, which reads through the
// hijacked reader.
func LendingWriter(w http.ResponseWriter) http.ResponseWriter { return &lendingWriter{w} }

type lendingWriter struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *lendingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack takes the connection as the writer underneath does, and returns
// it with a reader of the engine's in place of net/http's.
func (w *lendingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errNotHijacker
	}
	c, rw, err := h.Hijack()
	if err != nil || rw.Reader.Buffered() > 0 {
		return c, rw, err // gorilla refuses a client that sent data early
	}
	lent := readBuffers.get()
	lent.Reset(c)
	br := new(bufio.Reader)
	*br = *lent
	if tc, ok := c.(*net.TCPConn); ok {
		c = &lentConn{TCPConn: tc, br: br, lent: lent}
	}
	return c, bufio.NewReadWriter(br, rw.Writer), nil
}

// lentConn is a plain TCP connection upgraded through LendingWriter.
// gorilla reads it through br, whose buffer is lent: the struct lent, from
// readBuffers, shares br's buffer while the socket reads, and takes it back
// to the pool while the socket is parked. A bufio.Reader cannot be given a
// buffer, nor made to drop one, other than by assigning the struct whole.
type lentConn struct {
	*net.TCPConn
	br   *bufio.Reader
	lent *bufio.Reader // nil while the buffer is back in readBuffers
	// wd is the write deadline last set, as Unix nanoseconds. gorilla
	// sets it, under its write lock, before every frame it writes.
	wd int64
}

// SetWriteDeadline sets the connection's write deadline unless it is t
// already. gorilla sets the deadline its own SetWriteDeadline stored before
// every frame, and each change of the runtime's deadline timer takes a
// lock: 3% of the server's CPU under an echo load, which writeDeadline's
// rounding saves.
func (c *lentConn) SetWriteDeadline(t time.Time) error {
	n := t.UnixNano()
	if n == c.wd && !t.IsZero() {
		return nil
	}
	c.wd = n
	return c.TCPConn.SetWriteDeadline(t)
}

// release gives br's buffer back to the pool. br must hold no unread
// bytes, and nothing may read through it until borrow.
func (c *lentConn) release() {
	l := c.lent
	if l == nil {
		return
	}
	*l = *c.br
	*c.br = bufio.Reader{}
	l.Reset(nil)
	c.lent = nil
	readBuffers.put(l)
}

// borrow gives br a buffer from the pool.
func (c *lentConn) borrow() {
	if c.lent != nil {
		return
	}
	l := readBuffers.get()
	l.Reset(c)
	*c.br = *l
	c.lent = l
}
