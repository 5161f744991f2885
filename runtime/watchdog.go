package runtime

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// ErrMemoryLimit is the cause of an execution stopped because the heap grew
// by more than Config.ScriptMemory while it ran.
var ErrMemoryLimit = errors.New("script exceeded the memory limit")

// How often the heap is sampled: often while scripts run, since a script
// allocates what it can in one interval past the limit (plus what one VM
// instruction allocates: a concatenation doubles a string at most), and
// rarely while none does.
const (
	watchdogInterval     = 2 * time.Millisecond
	watchdogIdleInterval = 50 * time.Millisecond
)

// The heap in objects (live or not yet collected), the live heap as of the
// last collection, the heap size the collector aims to finish its cycle
// at, and GOGC.
const (
	heapMetric = "/memory/classes/heap/objects:bytes"
	liveMetric = "/gc/heap/live:bytes"
	goalMetric = "/gc/heap/goal:bytes"
	gogcMetric = "/gc/gogc:percent"
)

// watchdog looks at the running executions every few milliseconds. It
// stops executions that make the heap grow too much; at shutdown it stops
// the executions of open and data events (see pool.abandonEvents); and it
// counts its looks, so that an execution that ran for a while is known
// (its socket then checks that its client is still there).
//
// Memory. gopher-lua has no allocation limit of its own and Go cannot
// attribute allocations to a goroutine, so the watchdog compares the heap
// with the live heap when each running execution started.
//
// Garbage alone never stops a script, and never costs a collection of its
// own: an execution is over the limit when a collection found that much
// more live memory, and a collection is forced to confirm only when the
// heap has also outgrown the collector's goal (a hog outpacing it, or
// collection turned off). Forcing one whenever the heap looked big enough
// made a gateway whose live heap exceeds the limit, as thousands of
// sockets' does, collect every few seconds, and each collection stalled
// every socket for tens of milliseconds.
type watchdog struct {
	limit     uint64
	pool      *pool
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newWatchdog(limit uint64, p *pool) *watchdog {
	w := &watchdog{limit: limit, pool: p, stop: make(chan struct{}), done: make(chan struct{})}
	p.live.Store(readHeap().live)
	go w.run()
	return w
}

// heapStats is one reading of the heap.
type heapStats struct {
	heap, live, goal uint64
	collecting       bool // GOGC is not off
}

func readHeap() heapStats {
	s := []metrics.Sample{{Name: heapMetric}, {Name: liveMetric}, {Name: goalMetric}, {Name: gogcMetric}}
	metrics.Read(s)
	return heapStats{
		heap:       s[0].Value.Uint64(),
		live:       s[1].Value.Uint64(),
		goal:       s[2].Value.Uint64(),
		collecting: int64(s[3].Value.Uint64()) >= 0, // GOGC=off reads as -1
	}
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTimer(watchdogIdleInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			next := watchdogIdleInterval
			if w.pool.inUse() > 0 {
				w.check()
				next = watchdogInterval
			} else {
				w.pool.live.Store(readHeap().live)
			}
			t.Reset(next)
		}
	}
}

func (w *watchdog) check() {
	h := readHeap()
	w.pool.live.Store(h.live)
	w.look()
	if w.over(h.live, true) {
		return
	}
	if h.collecting && h.heap <= h.goal {
		return
	}
	if !w.over(h.heap, false) {
		return
	}
	goruntime.GC()
	h = readHeap()
	w.pool.live.Store(h.live)
	w.over(h.heap, true)
}

// look goes over the running executions: it counts the look and stops
// open and data events once the pool is abandoned. Interrupting again is
// harmless, and needed for an execution told before it started running.
func (w *watchdog) look() {
	p := w.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pv := range p.all {
		x := &pv.exec
		if !x.active {
			continue
		}
		x.looks++
		switch {
		case x.stopped:
			pv.vm.Interrupt(x.cause)
		case p.abandon && x.kind != closeEvent:
			pv.vm.Interrupt(ErrShuttingDown)
		}
	}
}

// over reports whether an execution has grown the heap past the limit,
// now that it is heap, and with stop stops every such execution.
func (w *watchdog) over(heap uint64, stop bool) bool {
	p := w.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	found := false
	for _, pv := range p.all {
		x := &pv.exec
		if !x.active || heap <= x.live+w.limit {
			continue
		}
		found = true
		if stop && !x.stopped {
			x.stopped = true
			x.cause = fmt.Errorf("%w: the heap grew by %d MiB while it ran (limit %d MiB)",
				ErrMemoryLimit, (heap-x.live)>>20, w.limit>>20)
			pv.vm.Interrupt(x.cause)
		}
	}
	return found
}

// refresh collects the garbage a stopped memory hog left and resamples the
// live heap, so that executions starting next are measured from what is
// really live rather than from the hog's peak.
func (w *watchdog) refresh() {
	goruntime.GC()
	w.pool.live.Store(readHeap().live)
}

// close stops the watchdog and waits for it; calling it again does nothing.
func (w *watchdog) close() {
	w.closeOnce.Do(func() { close(w.stop) })
	<-w.done
}
