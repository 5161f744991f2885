package runtime

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
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

// watchdog stops executions that make the heap grow too much. gopher-lua
// has no allocation limit of its own and Go cannot attribute allocations to
// a goroutine, so the watchdog compares the heap with the live heap when
// each running execution started.
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
	live      atomic.Uint64 // the live heap at the latest sample
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newWatchdog(limit uint64, p *pool) *watchdog {
	w := &watchdog{limit: limit, pool: p, stop: make(chan struct{}), done: make(chan struct{})}
	w.live.Store(readHeap().live)
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
				w.live.Store(readHeap().live)
			}
			t.Reset(next)
		}
	}
}

func (w *watchdog) check() {
	h := readHeap()
	w.live.Store(h.live)
	if over := w.pool.overLimit(h.live, w.limit); len(over) > 0 {
		w.interrupt(over, h.live)
		return
	}
	if h.collecting && h.heap <= h.goal {
		return
	}
	if len(w.pool.overLimit(h.heap, w.limit)) == 0 {
		return
	}
	goruntime.GC()
	h = readHeap()
	w.live.Store(h.live)
	w.interrupt(w.pool.overLimit(h.heap, w.limit), h.heap)
}

func (w *watchdog) interrupt(over []*pooledVM, heap uint64) {
	for _, pv := range over {
		pv.interruptIfOver(heap, w.limit)
	}
}

// refresh collects the garbage a stopped memory hog left and resamples the
// live heap, so that executions starting next are measured from what is
// really live rather than from the hog's peak.
func (w *watchdog) refresh() {
	goruntime.GC()
	w.live.Store(readHeap().live)
}

// close stops the watchdog and waits for it; calling it again does nothing.
func (w *watchdog) close() {
	w.closeOnce.Do(func() { close(w.stop) })
	<-w.done
}

// running is the execution in progress on a pooled state, as the watchdog
// sees it.
type running struct {
	mu        sync.Mutex // held while the watchdog interrupts, so never after end
	active    bool
	startHeap uint64
}

func (r *running) begin(heap uint64) {
	r.mu.Lock()
	r.active, r.startHeap = true, heap
	r.mu.Unlock()
}

func (r *running) end() {
	r.mu.Lock()
	r.active = false
	r.mu.Unlock()
}

func (r *running) over(heap, limit uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active && heap > r.startHeap+limit
}

func (pv *pooledVM) interruptIfOver(heap, limit uint64) {
	pv.mu.Lock()
	defer pv.mu.Unlock()
	if pv.active && heap > pv.startHeap+limit {
		pv.vm.Interrupt(fmt.Errorf("%w: the heap grew by %d MiB while it ran (limit %d MiB)",
			ErrMemoryLimit, (heap-pv.startHeap)>>20, limit>>20))
	}
}
