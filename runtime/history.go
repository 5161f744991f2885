package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/luagate/luagate/session"
)

// historyFlushInterval is how often closed sessions are written to the
// store. Half of the second a kill may lose, to leave the write its time.
const historyFlushInterval = 500 * time.Millisecond

// history buffers closed sessions and writes them to the store in batches,
// from one goroutine that Engine.New starts and Engine.Shutdown stops.
// Writing each close at once would cost a disk sync per socket.
type history struct {
	store  session.Store
	keep   int
	logger *slog.Logger

	mu      sync.Mutex       // guards pending
	pending []session.Record // closed and not yet stored, oldest close first

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newHistory(store session.Store, keep int, logger *slog.Logger) *history {
	h := &history{store: store, keep: keep, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
	go h.run()
	return h
}

// add buffers a closed session. A store that keeps failing does not make
// the buffer grow past what the store would keep.
func (h *history) add(s session.Record) {
	h.mu.Lock()
	h.pending = append(h.pending, s)
	if over := len(h.pending) - h.keep; over > 0 {
		h.pending = slices.Delete(h.pending, 0, over)
	}
	h.mu.Unlock()
}

func (h *history) run() {
	defer close(h.done)
	t := time.NewTicker(historyFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.flush()
		case <-h.stop:
			h.flush()
			return
		}
	}
}

// flush writes what is buffered. The sessions leave the buffer only once
// stored, so that a reader who looks at the buffer, then the store, finds
// each of them in one or the other.
func (h *history) flush() {
	h.mu.Lock()
	batch := slices.Clone(h.pending)
	h.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := h.store.PutSessions(batch, h.keep); err != nil {
		h.logger.Error("closed sessions not stored; retrying", "sessions", len(batch), "err", err)
		return
	}
	h.mu.Lock()
	// add only appends, or drops from the front once past keep.
	stored := batch[len(batch)-1].SocketID
	if i := slices.IndexFunc(h.pending, func(s session.Record) bool { return s.SocketID == stored }); i >= 0 {
		h.pending = slices.Delete(h.pending, 0, i+1)
	}
	h.mu.Unlock()
}

// close writes what is buffered and stops the goroutine. Sessions that
// close afterwards are not kept.
func (h *history) close() {
	h.once.Do(func() { close(h.stop) })
	<-h.done
}

// closed returns, newest first, up to limit closed sessions matching f
// after the cursor, buffered or stored.
func (h *history) closed(f session.Filter, after session.Cursor, limit int) ([]session.Record, error) {
	h.mu.Lock()
	var out []session.Record
	for i := range h.pending {
		if s := &h.pending[i]; f.Match(s) && after.Before(s) {
			out = append(out, *s)
		}
	}
	h.mu.Unlock()
	stored, err := h.store.ClosedSessions(f, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read session history: %w", err)
	}
	return append(out, stored...), nil
}

// session returns the closed session id, buffered or stored.
func (h *history) session(id string) (session.Record, error) {
	h.mu.Lock()
	for _, s := range h.pending {
		if s.SocketID == id {
			h.mu.Unlock()
			return s, nil
		}
	}
	h.mu.Unlock()
	s, err := h.store.ClosedSession(id)
	if err != nil && !errors.Is(err, session.ErrUnknown) {
		return session.Record{}, fmt.Errorf("read session history: %w", err)
	}
	return s, err
}
