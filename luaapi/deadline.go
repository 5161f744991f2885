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
	done chan struct{}
	at   time.Time
	err  error // set before done is closed
}

func newDeadline() *deadline {
	d := &deadline{fired: make(chan struct{}, 1)}
	d.timer = time.AfterFunc(time.Hour, func() {
		d.mu.Lock()
		c := d.cur
		d.mu.Unlock()
		d.end(c, context.DeadlineExceeded)
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
	d.end(d.cur, context.Canceled)
}

func (d *deadline) end(c *execContext, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-c.done:
	default:
		c.err = err
		close(c.done)
	}
}

func (c *execContext) Deadline() (time.Time, bool) { return c.at, true }
func (c *execContext) Done() <-chan struct{}       { return c.done }
func (c *execContext) Value(any) any               { return nil }

func (c *execContext) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}
