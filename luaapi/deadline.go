package luaapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadline times a VM's executions, one at a time. Each execution sees a
// context that ends if it runs too long or is interrupted, and contexts
// gopher-lua derives from it (one per coroutine) end with the execution,
// as they would with context.WithTimeout.
//
// It costs an event neither a timer operation nor an allocation. One timer
// per VM is armed when an execution starts and none is pending; when it
// fires it stops the execution if that is past its deadline, and otherwise
// re-arms for the deadline of the execution running then, if any. Under
// load it so fires about once per timeout instead of being reset and
// stopped for every event: arming a timer due before all the others woke
// the network poller's thread on each event. The context is reused too,
// while it stays open and nothing derived from it.
type deadline struct {
	timer *time.Timer
	// ended is raised once the current execution's context has ended
	// (lua.Global.Stop), and lowered when the next starts.
	ended atomic.Bool

	mu      sync.Mutex // guards the fields below, and those of every execContext
	cur     *execContext
	running bool
	armed   bool      // the timer is pending, or its function is running
	armedAt time.Time // when it is due, if armed
}

// execContext is the context.Context of an execution.
type execContext struct {
	d     *deadline
	done  chan struct{}
	at    time.Time
	err   error // set before done is closed
	cause error // why, when the VM was interrupted; set with err
	// after holds what contexts derived from this one asked to run when
	// it ends; derived is set once one did, so that it is not reused.
	after   map[*afterFunc]struct{}
	derived bool
}

type afterFunc struct{ f func() }

func newDeadline() *deadline {
	d := &deadline{}
	d.timer = time.AfterFunc(time.Hour, d.fire)
	d.timer.Stop()
	return d
}

// fire is the timer's function.
func (d *deadline) fire() {
	d.mu.Lock()
	if !d.running {
		d.armed = false
		d.mu.Unlock()
		return
	}
	if left := time.Until(d.cur.at); left > 0 {
		d.armedAt = d.cur.at
		d.timer.Reset(left)
		d.mu.Unlock()
		return
	}
	d.armed = false
	after := d.endLocked(d.cur, context.DeadlineExceeded, ErrTimeout)
	d.mu.Unlock()
	runAll(after)
}

// start returns the context of an execution that started at now and may
// run for timeout.
func (d *deadline) start(now time.Time, timeout time.Duration) context.Context {
	at := now.Add(timeout)
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.cur
	if c == nil || c.derived || isClosed(c.done) {
		c = &execContext{d: d, done: make(chan struct{})}
		d.cur = c
	}
	c.at, d.running = at, true
	if d.ended.Load() { // a store is an atomic exchange, and most executions never raise it
		d.ended.Store(false)
	}
	if !d.armed || at.Before(d.armedAt) {
		d.armed, d.armedAt = true, at
		d.timer.Reset(timeout)
	}
	return c
}

// stop ends the current execution, and the contexts derived from it.
func (d *deadline) stop() {
	d.mu.Lock()
	d.running = false
	c := d.cur
	var after []func()
	if c.derived {
		after = d.endLocked(c, context.Canceled, nil)
	}
	d.mu.Unlock()
	runAll(after)
}

// interrupt ends the current execution early because of cause.
func (d *deadline) interrupt(cause error) {
	d.mu.Lock()
	var after []func()
	if d.running {
		after = d.endLocked(d.cur, context.Canceled, cause)
	}
	d.mu.Unlock()
	runAll(after)
}

// extend moves the running execution's deadline by, later or (negative)
// earlier: a wait that does not count as running moves it later for its
// longest, and gives back what it did not use.
func (d *deadline) extend(by time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running {
		return
	}
	c := d.cur
	c.at = c.at.Add(by)
	if !d.armed || c.at.Before(d.armedAt) {
		d.armed, d.armedAt = true, c.at
		d.timer.Reset(time.Until(c.at))
	}
}

// endLocked closes c, unless it is closed already, and returns what
// derived contexts registered to run then. d.mu must be held.
func (d *deadline) endLocked(c *execContext, err, cause error) []func() {
	if isClosed(c.done) {
		return nil
	}
	c.err, c.cause = err, cause
	close(c.done)
	d.ended.Store(true)
	var after []func()
	for a := range c.after {
		after = append(after, a.f)
	}
	c.after = nil
	return after
}

// close stops the timer for good.
func (d *deadline) close() { d.timer.Stop() }

func runAll(fs []func()) {
	for _, f := range fs {
		f()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (c *execContext) Deadline() (time.Time, bool) { return c.at, true }
func (c *execContext) Done() <-chan struct{}       { return c.done }
func (c *execContext) Value(any) any               { return nil }

// AfterFunc arranges for f to run when c ends. The context package uses
// it, when present, to cancel a derived context; without it each derived
// context would cost a goroutine watching Done.
func (c *execContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.derived = true
	if isClosed(c.done) {
		go f()
		return func() bool { return false }
	}
	if c.after == nil {
		c.after = map[*afterFunc]struct{}{}
	}
	c.after[a] = struct{}{}
	return func() bool {
		c.d.mu.Lock()
		defer c.d.mu.Unlock()
		_, ok := c.after[a]
		delete(c.after, a)
		return ok
	}
}

// causeOf says why ctx ended: the cause an execContext was interrupted
// with, or the context package's cause for any other context.
func causeOf(ctx context.Context) error {
	if c, ok := ctx.(*execContext); ok {
		if c.Err() != nil && c.cause != nil {
			return c.cause
		}
	}
	return context.Cause(ctx)
}

func (c *execContext) Err() error {
	if !isClosed(c.done) {
		return nil
	}
	return c.err
}
