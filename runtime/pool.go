package runtime

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// pooledVM is a Lua state and, while it is handed out, the execution
// running on it.
type pooledVM struct {
	vm   *luaapi.VM
	exec execution // guarded by pool.mu
	// granted is when the state was handed to an event that had waited
	// for it, and zero when the event did not wait: the execution's time
	// starts then, or at the event's own clock reading. Only the state's
	// holder reads it.
	granted time.Time
}

// execution is what the pool and the watchdog know of the execution
// running on a state. The zero value is a state no one holds.
type execution struct {
	active bool
	share  *endpointShare
	kind   eventKind
	seq    uint64 // the order it started in
	// live and allocs are the heap it is measured from (see watchdog).
	live, allocs uint64
	looks        int // how many of the watchdog's looks found it running
	// stopped is set when the watchdog stops it for memory, with why;
	// its state is then discarded.
	stopped bool
	cause   error
}

// eventKind is what the pool needs to know of an event: close events may
// use the reserve and are never abandoned, and only a data event may be
// dropped while it waits.
type eventKind uint8

const (
	openEvent eventKind = iota
	dataEvent
	closeEvent
)

func kindOf(typ string) eventKind {
	switch typ {
	case luaapi.EventData:
		return dataEvent
	case luaapi.EventClose:
		return closeEvent
	}
	return openEvent
}

// pool hands out Lua states, creating them on demand up to a bound so an
// idle gateway holds few. Three rules decide whether an event gets a state
// at once or waits (share.go keeps the waiting in order):
//
//   - at most size states run open and data events;
//   - reserve more states run only close events, so that a socket's close
//     event runs while every other state is stuck in a script;
//   - the executions of one endpoint hold at most perEndpoint states, so
//     that an endpoint whose scripts are stuck leaves the rest to others.
//
// A state that comes back goes straight to the next waiter that may have
// it, taking the endpoints in turn. Executions are bounded by the script
// timeout, so every wait is too.
//
// Idle states are a stack: the state used last is handed out next, so a
// busy gateway keeps running on the few states whose memory is still in
// the CPU's caches instead of cycling through all of them.
type pool struct {
	newVM       func() *luaapi.VM
	size        int
	reserve     int
	perEndpoint int
	// live and allocs are what an execution starting now is measured
	// from: the watchdog's latest reading.
	live, allocs atomic.Uint64

	mu   sync.Mutex // guards the fields below and every state's exec
	used int        // states handed out
	seq  uint64     // executions started
	idle []*pooledVM
	all  []*pooledVM
	// endpoints holds the shares of the endpoints with sockets, by path.
	endpoints map[string]*endpointShare
	// ready holds, for each line (see waitLine), the endpoints with
	// waiters in it, in the order they are served.
	ready [lines]shareQueue
	// abandon is set by Shutdown: executions of open and data events are
	// stopped, close events still run.
	abandon bool
	// refreshing is set while a state stopped for memory has been
	// discarded and its memory not yet collected: the watchdog stops no
	// other execution meanwhile.
	refreshing bool
	// resting is set while the watchdog looks rarely, no execution having
	// run for a while; the next execution to start wakes it.
	resting bool
	wake    chan struct{}
}

func newPool(size, reserve, perEndpoint int, newVM func() *luaapi.VM) *pool {
	return &pool{newVM: newVM, size: size, reserve: reserve, perEndpoint: perEndpoint,
		endpoints: map[string]*endpointShare{}, wake: make(chan struct{}, 1)}
}

// get hands out a state for an event of kind on the endpoint of share
// sh, waiting while the rules above say no. It returns nil if the wait of
// a data event was cancelled (see cancel); late says whether the event
// waited lateWait or more. slot is the waiting place of the event's
// socket.
func (p *pool) get(sh *endpointShare, slot *waitSlot, kind eventKind) (pv *pooledVM, late bool) {
	p.mu.Lock()
	if p.fitsLocked(sh, kind) {
		x := p.startLocked(sh, kind)
		pv = p.popIdleLocked()
		if pv != nil {
			pv.exec = x
		}
		p.mu.Unlock()
		if pv == nil {
			pv = p.create(x)
		}
		pv.granted = time.Time{}
		return pv, false
	}
	w := slot.w
	if w == nil {
		w = &waiter{wake: make(chan struct{}, 1)}
		slot.w = w
	}
	w.share, w.kind = sh, kind
	start := time.Now()
	p.enqueueLocked(w)
	p.mu.Unlock()
	<-w.wake
	waited := time.Since(start)
	late = waited >= lateWait
	switch {
	case !w.granted:
		return nil, late
	case w.pv == nil:
		pv = p.create(w.exec)
	default:
		pv = w.pv
	}
	pv.granted = start.Add(waited)
	return pv, late
}

// lateWait is how long an event waits for a state before its client is
// asked whether it is still there (see Engine.dispatch). Under a load
// that fills the pool, events wait briefly all the time, and asking after
// each of those was a system call per message; a client that left a
// stuck endpoint's queue has waited far longer.
const lateWait = 20 * time.Millisecond

// fitsLocked reports whether an event of kind on sh may have a state now.
// When it may, no one waiting may: put hands every state that comes back
// to a waiter that may have it. p.mu must be held.
func (p *pool) fitsLocked(sh *endpointShare, kind eventKind) bool {
	limit := p.size
	if kind == closeEvent {
		limit += p.reserve
	}
	return sh.held < p.perEndpoint && p.used < limit
}

// startLocked counts a state handed out for an event of kind on sh and
// returns its execution. p.mu must be held.
func (p *pool) startLocked(sh *endpointShare, kind eventKind) execution {
	p.used++
	sh.held++
	p.seq++
	if p.resting {
		p.resting = false
		p.wake <- struct{}{}
	}
	return execution{active: true, share: sh, kind: kind, seq: p.seq, live: p.live.Load(), allocs: p.allocs.Load()}
}

func (p *pool) popIdleLocked() *pooledVM {
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	pv := p.idle[n-1]
	p.idle = p.idle[:n-1]
	return pv
}

// create makes a new state for the execution x, outside the lock: making
// a state takes far longer than an event.
func (p *pool) create(x execution) *pooledVM {
	pv := &pooledVM{vm: p.newVM()}
	p.mu.Lock()
	pv.exec = x
	p.all = append(p.all, pv)
	p.mu.Unlock()
	return pv
}

// put gives pv back after its execution, to the next waiter that may have
// it or to the idle stack. A state the watchdog stopped for memory is
// closed instead, so that whatever its execution left in its registers (a
// memory hog's data) is freed, and a new one takes its place. put reports
// whether the watchdog found the execution running at two of its looks
// (it ran for a while), and whether it stopped it.
func (p *pool) put(pv *pooledVM) (long, stopped bool) {
	p.mu.Lock()
	x := pv.exec
	pv.exec = execution{}
	p.used--
	x.share.held--
	next := pv
	if x.stopped {
		p.removeLocked(pv)
		p.refreshing = true
		next = nil
	}
	if w := p.nextLocked(x.share); w != nil {
		p.handLocked(w, next)
	} else if next != nil {
		p.idle = append(p.idle, next)
	}
	p.mu.Unlock()
	if x.stopped {
		pv.vm.Close()
	}
	return x.looks >= 2, x.stopped
}

// handLocked gives w the state pv, or, when pv is nil, the right to create
// one, and wakes it. p.mu must be held.
func (p *pool) handLocked(w *waiter, pv *pooledVM) {
	x := p.startLocked(w.share, w.kind)
	if pv != nil {
		pv.exec = x
	}
	w.pv, w.exec, w.granted = pv, x, true
	w.wake <- struct{}{}
}

func (p *pool) removeLocked(pv *pooledVM) {
	for i, x := range p.all {
		if x == pv {
			p.all = append(p.all[:i], p.all[i+1:]...)
			return
		}
	}
}

// states is how many states are idle and how many run an execution.
func (p *pool) states() (idle, busy int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle), p.used
}

// inUse is how many states are running an execution; the watchdog uses it
// to choose how often to look.
func (p *pool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}

// rest tells that the watchdog will look rarely, unless an execution is
// running: then it reports false.
func (p *pool) rest() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resting = p.used == 0
	return p.resting
}

// abandonEvents stops every execution of an open or data event, now and
// from now on (the watchdog repeats it at each look, for an execution that
// had not yet started when it was told); close events still run. Shutdown
// calls it once every socket is closing, when such an execution's replies
// can no longer reach anyone.
func (p *pool) abandonEvents() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandon = true
	for _, pv := range p.all {
		if pv.exec.active && pv.exec.kind != closeEvent {
			pv.vm.Interrupt(ErrShuttingDown)
		}
	}
}

// close releases every state; no execution may be running.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pv := range p.all {
		pv.vm.Close()
	}
	p.all, p.idle = nil, nil
}
