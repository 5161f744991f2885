package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// requests are a socket's requests waiting for their client's reply. A
// socket has them from its first request on; the mutex is a leaf, held
// only to change the map.
type requests struct {
	mu      sync.Mutex
	next    uint64
	waiting map[string]chan reply
	ended   error // set once the socket closes: no request waits any more
}

type reply struct {
	content []byte
	err     error
}

// requestFrame is what a client receives for a request.
type requestFrame struct {
	RequestID string          `json:"request_id"`
	Event     string          `json:"event"`
	Content   json.RawMessage `json:"content"`
}

// replyFrame is a client's answer to a request.
type replyFrame struct {
	ResponseTo *string         `json:"response_to"`
	Content    json.RawMessage `json:"content"`
	Error      *string         `json:"error"`
}

// replyKey is what every reply frame holds; a message without it is no
// reply, and is not decoded to find out.
var replyKey = []byte(`"response_to"`)

// pending returns the socket's requests, making them on first use.
func (s *socket) pending() *requests {
	if r := s.reqs.Load(); r != nil {
		return r
	}
	s.reqs.CompareAndSwap(nil, &requests{waiting: map[string]chan reply{}})
	return s.reqs.Load()
}

// Request sends the client a request frame and waits for its reply until
// ctx ends. It implements hub.Requester.
func (s *socket) Request(ctx context.Context, event string, content []byte) ([]byte, error) {
	r := s.pending()
	ch := make(chan reply, 1)
	r.mu.Lock()
	if r.ended != nil {
		r.mu.Unlock()
		return nil, r.ended
	}
	r.next++
	id := strconv.FormatUint(r.next, 10)
	r.waiting[id] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiting, id)
		r.mu.Unlock()
	}()
	frame, err := json.Marshal(requestFrame{RequestID: id, Event: event, Content: content})
	if err != nil {
		return nil, fmt.Errorf("%w: request content: %w", luaapi.ErrBadArgument, err)
	}
	if err := s.Send(frame, false); err != nil {
		return nil, err
	}
	select {
	case rep := <-ch:
		return rep.content, rep.err
	case <-ctx.Done():
		return nil, waitEnded(ctx)
	}
}

// SendWait queues msg and waits until ctx ends for it to be written to the
// connection. It implements hub.Requester.
func (s *socket) SendWait(ctx context.Context, msg []byte, binary bool) error {
	done := make(chan error, 1)
	written := func(err error) { done <- err }
	if err := s.send(outMsg{data: msg, binary: binary, written: written}, nil); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return waitEnded(ctx)
	}
}

// waitEnded is why a wait under ctx ended early: its timeout, or the
// execution waiting was stopped.
func waitEnded(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return luaapi.ErrRequestTimeout
	}
	return ctx.Err()
}

// failRequests ends every request waiting, as the socket is closing.
func (s *socket) failRequests() {
	r := s.reqs.Load()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = luaapi.ErrSocketClosed
	for id, ch := range r.waiting {
		ch <- reply{err: luaapi.ErrSocketClosed}
		delete(r.waiting, id)
	}
}

// answer takes a client's text message data that is a reply to a request
// and reports whether it was one: replies are the gateway's, not the
// script's. A reply to no waiting request is dropped and logged. Only a
// socket that was sent requests looks.
func (s *socket) answer(data []byte) bool {
	r := s.reqs.Load()
	if r == nil || !bytes.Contains(data, replyKey) {
		return false
	}
	var f replyFrame
	if json.Unmarshal(data, &f) != nil || f.ResponseTo == nil {
		return false
	}
	rep := reply{content: f.Content}
	switch {
	case f.Error != nil:
		rep = reply{err: fmt.Errorf("%w: %s", luaapi.ErrClientError, scripts.Truncate(*f.Error, 1024))}
	case len(f.Content) == 0:
		rep.content = []byte("null")
	}
	r.mu.Lock()
	ch, ok := r.waiting[*f.ResponseTo]
	delete(r.waiting, *f.ResponseTo)
	r.mu.Unlock()
	if !ok {
		// A client sending stray replies spends its rate limit on them,
		// so it cannot flood the log.
		if s.limiter == nil || s.limiter.Allow() {
			s.e.cfg.Logger.Warn("reply dropped: no request waits for it", "route", s.conn.Route, "socket_id", s.conn.ID,
				"response_to", scripts.Elide(*f.ResponseTo))
		}
		return true
	}
	ch <- rep
	return true
}
