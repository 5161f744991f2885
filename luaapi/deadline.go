package luaapi

import (
	"context"
	"sync"
	"time"
)

// deadline times a VM's executions, one at a time, with one timer reused
// for all of them: context.WithTimeout on every event cost a timer and
// several allocations. Each execution sees a context that ends if it runs
// too long or is interrupted, and contexts gopher-lua derives from it (one
// per coroutine) end with the execution, as they would with WithTimeout.
//
// The context itself is reused too, while it stays open and nothing derived
// from it: an execution that ended normally leaves it as it found it, so
// most events allocate no context at all.
type deadline struct {
	timer *time.Timer
	fired chan struct{} // the timer's function has finished

	mu  sync.Mutex // guards cur, and the fields of every execContext
	cur *execContext
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
	d := &deadline{fired: make(chan struct{}, 1)}
	d.timer = time.AfterFunc(time.Hour, func() {
		d.mu.Lock()
		c := d.cur
		d.mu.Unlock()
		d.end(c, context.DeadlineExceeded, ErrTimeout)
		d.fired <- struct{}{}
	})
	d.timer.Stop()
	return d
}

// start returns the context of an execution that may run for timeout.
func (d *deadline) start(timeout time.Duration) context.Context {
	at := time.Now().Add(timeout)
	d.mu.Lock()
	c := d.cur
	if c == nil || c.derived || isClosed(c.done) {
		c = &execContext{d: d, done: make(chan struct{})}
		d.cur = c
	}
	c.at = at
	d.mu.Unlock()
	d.timer.Reset(timeout)
	return c
}

// stop ends the current execution. It makes sure the timer's function is
// neither running nor pending, so it cannot reach the next execution, and
// ends the contexts derived from this one.
func (d *deadline) stop() {
	if !d.timer.Stop() {
		<-d.fired
	}
	d.mu.Lock()
	c, derived := d.cur, d.cur.derived
	d.mu.Unlock()
	if derived {
		d.end(c, context.Canceled, nil)
	}
}

// interrupt ends the current execution early because of cause.
func (d *deadline) interrupt(cause error) {
	d.mu.Lock()
	c := d.cur
	d.mu.Unlock()
	if c != nil {
		d.end(c, context.Canceled, cause)
	}
}

// end closes c, unless it is closed already, and runs what derived
// contexts registered.
func (d *deadline) end(c *execContext, err, cause error) {
	d.mu.Lock()
	if isClosed(c.done) {
		d.mu.Unlock()
		return
	}
	c.err, c.cause = err, cause
	close(c.done)
	after := c.after
	c.after = nil
	d.mu.Unlock()
	for a := range after {
		a.f()
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
