package runtime

import (
	goruntime "runtime"
	"slices"
	"sync"
	"time"

	"github.com/luagate/luagate/internal/workpool"
)

// pingSlots is how many turns the ping wheel takes per PingInterval. A
// socket is pinged every PingInterval, its first ping up to one turn, a
// 32nd of the interval, early.
const pingSlots = 32

// pingBatch is how many pings a turn starts before it yields.
const pingBatch = 16

// minPingTurn bounds how often the wheel turns: an interval under 32 ms
// (a test's) pings every 32 ms rather than spin the wheel's goroutine.
const minPingTurn = time.Millisecond

// pingWheel pings the engine's sockets every PingInterval. Its goroutine
// turns it every PingInterval/pingSlots and pings the sockets of the slot
// it comes to; a socket stays in its slot until it ends. A time.Timer per
// socket cost every idle socket some 150 bytes (the timer, its function,
// its place in the runtime's timer heap); a place in a slot costs it 8.
// The goroutine starts with the first socket and stops at close.
type pingWheel struct {
	interval time.Duration
	workers  *workpool.Pool // the engine's, whose idle workers each turn ends

	mu      sync.Mutex // guards the fields below and sockets' pingSlot, pingAt
	slots   [pingSlots][]*socket
	next    int // the slot the next turn pings
	started bool
	closed  bool
	stop    chan struct{} // closed by close
	done    chan struct{} // closed when the goroutine returns
}

// add puts s in the slot the wheel comes to last: its first ping is one
// PingInterval away, less up to one turn.
func (w *pingWheel) add(s *socket) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if !w.started {
		w.started = true
		w.stop, w.done = make(chan struct{}), make(chan struct{})
		go w.turnEvery(max(w.interval/pingSlots, minPingTurn))
	}
	i := (w.next + pingSlots - 1) % pingSlots
	s.pingSlot, s.pingAt = uint8(i), int32(len(w.slots[i])+1)
	w.slots[i] = append(w.slots[i], s)
}

// remove takes s out of its slot, if it is in one.
func (w *pingWheel) remove(s *socket) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.pingAt == 0 {
		return
	}
	slot := &w.slots[s.pingSlot]
	sl, at := *slot, int(s.pingAt-1)
	last := sl[len(sl)-1]
	sl[at], last.pingAt = last, int32(at+1)
	sl[len(sl)-1] = nil
	sl = sl[:len(sl)-1]
	// A slot that held many more sockets than now gives the room back.
	if cap(sl) > 64 && len(sl) < cap(sl)/4 {
		sl = slices.Clip(slices.Clone(sl))
	}
	*slot, s.pingAt = sl, 0
}

func (w *pingWheel) turnEvery(turn time.Duration) {
	defer close(w.done)
	t := time.NewTicker(turn)
	defer t.Stop()
	var due []*socket
	for {
		select {
		case <-t.C:
			due = w.turn(due)
		case <-w.stop:
			return
		}
	}
}

// turn pings the sockets of the next slot, with the wheel unlocked: a
// ping takes the socket's lock. It returns due, the storage it copies the
// slot to, for the next turn.
func (w *pingWheel) turn(due []*socket) []*socket {
	w.mu.Lock()
	due = append(due[:0], w.slots[w.next]...)
	w.next = (w.next + 1) % pingSlots
	w.mu.Unlock()
	for i, s := range due {
		s.pingNow()
		// Sockets that connected together share a slot: started all at
		// once, their thousands of ping writers each grew a stack of its
		// own at the same time. Yielding lets those started write and go
		// back to the engine's workers before more start.
		if i%pingBatch == pingBatch-1 {
			goruntime.Gosched()
		}
	}
	clear(due)
	// The wheel's turn is the engine's one steady tick: it lets go of
	// the workers a burst of writes left idle, on a server gone quiet.
	w.workers.EndIdle()
	return due
}

// close stops the wheel's goroutine and waits for it; no socket is added
// after.
func (w *pingWheel) close() {
	w.mu.Lock()
	started := w.started && !w.closed
	w.closed = true
	w.mu.Unlock()
	if started {
		close(w.stop)
		<-w.done
	}
}
