package runtime

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

// Messages are read into pooled buffers: a message's bytes are needed only
// until its event has run (the script gets a copy), so a few buffers serve
// every socket, and an idle socket holds none. Reading each message into
// new memory made the collector run every few seconds under load, and a
// collection with thousands of sockets stalls them for tens of
// milliseconds.
var msgBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 512)
	return &b
}}

// dataEvents are the data events being dispatched: one is needed only
// while its event runs, so a few serve every socket, and an idle socket
// holds none (a socket kept one of its own, 240 bytes, before).
var dataEvents = sync.Pool{New: func() any { return new(luaapi.Event) }}

// maxPooledBuffer is the largest buffer kept for reuse; one that grew
// past it for a big message is left to the collector.
const maxPooledBuffer = 64 << 10

// errInflatedTooBig is a compressed message that inflated past the limit.
var errInflatedTooBig = errors.New("message too big once decompressed")

// readLoop reads and dispatches messages until the connection ends, and
// returns why it ended.
func (s *socket) readLoop() hub.CloseReason {
	for {
		typ, r, err := s.ws.NextReader()
		if err == nil {
			buf := msgBuffers.Get().(*[]byte)
			err = s.receive(typ, r, buf)
			if cap(*buf) <= maxPooledBuffer {
				msgBuffers.Put(buf)
			}
		}
		if err != nil {
			return s.endReason(err)
		}
	}
}

// receive reads the message r into buf and handles it: it runs the data
// event, unless the message breaks a rule or the socket is closing.
func (s *socket) receive(typ int, r io.Reader, buf *[]byte) error {
	pol := s.policy()
	data, err := readAll(r, buf, pol.maxMessage)
	if err == errInflatedTooBig {
		_ = s.entry.Close(hub.CloseTooBig)
		return nil // closing: wait for the client's answer
	}
	if err != nil {
		return err
	}
	s.in.Add(1)
	s.bytesIn.Add(uint64(len(data)))
	now := time.Now()
	s.touch(now)
	switch {
	case s.gone || s.isClosing():
	case typ == websocket.TextMessage && !utf8.Valid(data):
		_ = s.entry.Close(hub.CloseInvalidUTF8)
	case s.builtin:
		// Acknowledgements come as fast as frames went out, a thousand on
		// a connect; each is a read and a batched commit, and the rate
		// limit is for scripts' events.
		s.e.cfg.Push.Received(s.outlet(), data)
	case typ == websocket.TextMessage && s.answer(data):
	case s.limiter != nil && !s.limiter.AllowN(now, 1): // the message's clock reading, not one more
		s.stats.rateLimited.Add(1)
		s.overLimit(pol, typ, data, now)
	case s.proxy != nil:
		s.proxy.up(typ, data, now, pol)
	default:
		ev := dataEvents.Get().(*luaapi.Event)
		s.setDataEvent(ev, typ, data, now)
		s.run(ev)
		*ev = luaapi.Event{}
		dataEvents.Put(ev)
	}
	return nil
}

// setDataEvent makes *ev, a zero Event, the data event of the message
// data of type typ. It fills ev in place: returning the event as a value
// gave receive's frame a 248-byte copy of it, on the reader's stack that
// the message's execution then runs on, and every line of a stack is a
// cache miss on a socket that is not busy.
func (s *socket) setDataEvent(ev *luaapi.Event, typ int, data []byte, now time.Time) {
	ev.Type = luaapi.EventData
	ev.Conn = s.conn
	ev.Peer = s
	ev.Message = data
	ev.Binary = typ == websocket.BinaryMessage
	ev.Timestamp = now
}

// readAll reads r to its end into *buf's storage, growing it as needed,
// and returns the message. The size limit is applied to the message as the
// script would see it: gorilla's own read limit counts compressed bytes, so
// a small compressed frame could otherwise inflate without bound.
func readAll(r io.Reader, buf *[]byte, max int64) ([]byte, error) {
	b := (*buf)[:0]
	defer func() { *buf = b[:0] }()
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), max+1)])
		b = b[:len(b)+n]
		switch {
		case int64(len(b)) > max:
			return nil, errInflatedTooBig
		case err == io.EOF:
			return b, nil
		case err != nil:
			return nil, err
		}
	}
}

func (s *socket) endReason(err error) hub.CloseReason {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing != nil {
		return *closing
	}
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		return hub.CloseReason{Code: ce.Code, Text: ce.Text}
	case errors.Is(err, websocket.ErrReadLimit):
		return hub.CloseTooBig
	case isProtocolError(err):
		return hub.CloseReason{Code: websocket.CloseProtocolError, Text: strings.TrimPrefix(err.Error(), "websocket: ")}
	}
	return hub.CloseLost
}

// isProtocolError tells the errors gorilla/websocket returns after it has
// answered a protocol violation with a 1002 close frame: they are plain
// "websocket: ..." errors, unlike the network errors of a dropped
// connection.
func isProtocolError(err error) bool {
	var ne net.Error
	var ce *websocket.CloseError
	return !errors.As(err, &ne) && !errors.As(err, &ce) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
		strings.HasPrefix(err.Error(), "websocket: ")
}
