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

// The heap in objects (live or not yet collected), and the live heap as of
// the last collection.
const (
	heapMetric = "/memory/classes/heap/objects:bytes"
	liveMetric = "/gc/heap/live:bytes"
)

// watchdog stops executions that make the heap grow too much. gopher-lua
// has no allocation limit of its own and Go cannot attribute allocations to
// a goroutine, so the watchdog compares the heap with the live heap when
// each running execution started, and confirms with a collection before it
// cancels, so that garbage alone never stops a script.
type watchdog struct {
	limit uint64
	pool  *pool
	live  atomic.Uint64 // the live heap at the latest sample
	stop  chan struct{}
	done  chan struct{}
}

func newWatchdog(limit uint64, p *pool) *watchdog {
	w := &watchdog{limit: limit, pool: p, stop: make(chan struct{}), done: make(chan struct{})}
	_, live := readHeap()
	w.live.Store(live)
	go w.run()
	return w
}

func readHeap() (heap, live uint64) {
	s := []metrics.Sample{{Name: heapMetric}, {Name: liveMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
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
				_, live := readHeap()
				w.live.Store(live)
			}
			t.Reset(next)
		}
	}
}

func (w *watchdog) check() {
	heap, live := readHeap()
	w.live.Store(live)
	over := w.pool.overLimit(heap, w.limit)
	if len(over) == 0 {
		return
	}
	goruntime.GC()
	heap, live = readHeap()
	w.live.Store(live)
	for _, pv := range over {
		pv.interruptIfOver(heap, w.limit)
	}
}

// refresh collects the garbage a stopped memory hog left and resamples the
// live heap, so that executions starting next are measured from what is
// really live rather than from the hog's peak.
func (w *watchdog) refresh() {
	goruntime.GC()
	_, live := readHeap()
	w.live.Store(live)
}

func (w *watchdog) close() {
	close(w.stop)
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
