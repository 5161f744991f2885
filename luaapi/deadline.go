package luaapi

import (
	"context"
	"sync"
	"time"
)

// deadline times a VM's executions, one at a time, with one timer reused
// for all of them: context.WithTimeout on every event cost a timer and
// several allocations. Each execution still gets a context of its own,
// canceled when it ends, so contexts gopher-lua derives from it (one per
// coroutine) end with the execution as they would with WithTimeout.
type deadline struct {
	timer *time.Timer
	fired chan struct{} // the timer's function has finished

	mu  sync.Mutex // guards cur against the timer's function, and ending
	cur *execContext
}

// execContext is the context.Context of one execution.
type execContext struct {
	done  chan struct{}
	at    time.Time
	err   error // set before done is closed
	cause error // why, when the VM was interrupted; set with err
}

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
	c := &execContext{done: make(chan struct{}), at: time.Now().Add(timeout)}
	d.mu.Lock()
	d.cur = c
	d.mu.Unlock()
	d.timer.Reset(timeout)
	return c
}

// stop cancels the current execution's context and makes sure the timer's
// function is neither running nor pending, so it cannot reach the next.
func (d *deadline) stop() {
	if !d.timer.Stop() {
		<-d.fired
	}
	d.end(d.cur, context.Canceled, nil)
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

func (d *deadline) end(c *execContext, err, cause error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-c.done:
	default:
		c.err, c.cause = err, cause
		close(c.done)
	}
}

func (c *execContext) Deadline() (time.Time, bool) { return c.at, true }
func (c *execContext) Done() <-chan struct{}       { return c.done }
func (c *execContext) Value(any) any               { return nil }

// causeOf says why ctx ended: the cause an execContext was interrupted
// with, or the context package's cause for any other context.
func causeOf(ctx context.Context) error {
	if c, ok := ctx.(*execContext); ok {
		select {
		case <-c.done:
			if c.cause != nil {
				return c.cause
			}
		default:
		}
	}
	return context.Cause(ctx)
}

func (c *execContext) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}
