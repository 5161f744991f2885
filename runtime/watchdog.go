package runtime

import (
	"context"
	"errors"
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// ErrMemoryLimit is the cause of an execution stopped because the heap grew
// by more than Config.ScriptMemory while it ran.
var ErrMemoryLimit = errors.New("script exceeded the memory limit")

// watchdogInterval is how often the heap is sampled. A script allocates at
// most what it can in one interval past the limit, plus what one VM
// instruction allocates (a concatenation doubles a string at most).
const watchdogInterval = 10 * time.Millisecond

const heapMetric = "/memory/classes/heap/objects:bytes"

// watchdog stops executions that make the heap grow too much. gopher-lua
// has no allocation limit of its own and Go cannot attribute allocations to
// a goroutine, so the watchdog compares the heap with what it was when each
// running execution started, and confirms with a collection before it
// cancels, so that garbage alone never stops a script.
type watchdog struct {
	limit uint64
	pool  *pool
	heap  atomic.Uint64 // the latest sample
	stop  chan struct{}
	done  chan struct{}
}

func newWatchdog(limit uint64, p *pool) *watchdog {
	w := &watchdog{limit: limit, pool: p, stop: make(chan struct{}), done: make(chan struct{})}
	w.heap.Store(readHeap())
	go w.run()
	return w
}

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTicker(watchdogInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.check()
		}
	}
}

func (w *watchdog) check() {
	heap := readHeap()
	w.heap.Store(heap)
	over := w.pool.overLimit(heap, w.limit)
	if len(over) == 0 {
		return
	}
	goruntime.GC()
	heap = readHeap()
	w.heap.Store(heap)
	for _, x := range over {
		x.cancelIfOver(heap, w.limit)
	}
}

func (w *watchdog) close() {
	close(w.stop)
	<-w.done
}

// running is one execution in progress on a pooled state, as the watchdog
// sees it.
type running struct {
	mu        sync.Mutex
	cancel    context.CancelCauseFunc // nil when the state is idle
	startHeap uint64
}

func (r *running) begin(cancel context.CancelCauseFunc, heap uint64) {
	r.mu.Lock()
	r.cancel, r.startHeap = cancel, heap
	r.mu.Unlock()
}

func (r *running) end() {
	r.mu.Lock()
	r.cancel = nil
	r.mu.Unlock()
}

func (r *running) over(heap, limit uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cancel != nil && heap > r.startHeap+limit
}

func (r *running) cancelIfOver(heap, limit uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil && heap > r.startHeap+limit {
		r.cancel(ErrMemoryLimit)
	}
}
