// Package workpool runs short tasks on goroutines it keeps for the next
// ones.
//
// A goroutine starts with a small stack and copies it to a larger one
// each time its calls go deeper than it holds. A write to a socket goes
// deep (gorilla/websocket, net, the poller), so a fresh goroutine per
// write copied its stack at least once: in a fan-out to 100 sockets, a
// goroutine per idle recipient spent a quarter of the server's CPU
// growing stacks. A kept goroutine has grown its stack already.
package workpool

import (
	"slices"
	"sync"
	"time"
)

// Task is work for a Pool.
type Task interface {
	Run()
}

// Pool runs each task on a goroutine of its own, as a go statement would,
// taking a kept goroutine when one is idle. It keeps at most its maximum
// of idle goroutines, the most recently used first; one idle for longer
// than its keep time ends when another's task ends or at EndIdle, and
// every idle one at Close. Its only goroutines are those that run tasks:
// none watches the keep time.
type Pool struct {
	max  int
	keep time.Duration

	mu sync.Mutex // guards the fields below
	// idle are the idle goroutines, the longest idle first: each takes
	// its next task from its channel, and ends when the channel closes.
	idle   []idleWorker
	closed bool
}

type idleWorker struct {
	next  chan Task
	since time.Time
}

// New returns a pool that keeps up to max idle goroutines, each for about
// keep.
func New(max int, keep time.Duration) *Pool { return &Pool{max: max, keep: keep} }

// Go runs t on an idle goroutine of p's, or on a new one. It never waits
// for a running task: tasks that block hold up no other.
func (p *Pool) Go(t Task) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = idleWorker{}
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.next <- t
		return
	}
	p.mu.Unlock()
	go p.work(t)
}

// work runs t, then the tasks Go hands it while it is idle, until Close,
// until it has been idle for p's keep time, or until p keeps enough idle
// goroutines without it.
func (p *Pool) work(t Task) {
	var next chan Task
	for t != nil {
		t.Run()
		now := time.Now()
		p.mu.Lock()
		p.endIdleLocked(now)
		if p.closed || len(p.idle) >= p.max {
			p.mu.Unlock()
			return
		}
		if next == nil {
			// Buffered, so that Go, which has taken this goroutine off
			// the idle list, never waits for it to be scheduled.
			next = make(chan Task, 1)
		}
		p.idle = append(p.idle, idleWorker{next: next, since: now})
		p.mu.Unlock()
		t = <-next // nil once its channel is closed
	}
}

// endIdleLocked ends the goroutines idle for longer than p's keep time:
// the first of p.idle, as Go takes the last.
func (p *Pool) endIdleLocked(now time.Time) {
	n := 0
	for n < len(p.idle) && now.Sub(p.idle[n].since) > p.keep {
		close(p.idle[n].next)
		n++
	}
	if n > 0 {
		p.idle = slices.Delete(p.idle, 0, n)
	}
}

// EndIdle ends the goroutines idle for longer than p's keep time now,
// for an owner's periodic tick: otherwise they end only when another
// task ends, and a pool that has gone quiet would keep them.
func (p *Pool) EndIdle() {
	now := time.Now()
	p.mu.Lock()
	p.endIdleLocked(now)
	p.mu.Unlock()
}

// Idle reports how many idle goroutines p keeps now.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Close lets p's idle goroutines end, and those running end after their
// task. Go still runs tasks after Close, each on a goroutine that ends
// with it.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, w := range idle {
		close(w.next)
	}
}
