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
// while it ran by more than the executions running could hold within
// Config.ScriptMemory each, and it was charged the most (see watchdog).
var ErrMemoryLimit = errors.New("script exceeded the memory limit")

// How often the watchdog looks: often while scripts run, since a script
// allocates what it can in one interval past the limit (plus what one VM
// instruction allocates: a concatenation doubles a string at most), and
// rarely once none has run for watchdogRest. The first execution after
// such a rest wakes it (pool.wake), so that no execution runs long
// unseen. A hog is judged only on a live heap a collection has just
// measured, so how far it grows past the limit follows the collector's
// cycles more than the interval: hogs were stopped as early with 16 ms as
// with 2 ms, while looking every 2 ms, 500 wakeups a second whatever the
// message rate, cost a message at 10,000 a second 1-6 µs of CPU (see
// BENCHMARKS.md). At 50 ms a hog growing by 1 MiB strings was stopped at
// up to three times the limit.
const (
	watchdogInterval     = 16 * time.Millisecond
	watchdogIdleInterval = 50 * time.Millisecond
	watchdogRest         = 50 * time.Millisecond
)

// The heap in objects (live or not yet collected), the live heap as of the
// last collection, the heap size the collector aims to finish its cycle
// at, GOGC, the collections so far, and the bytes allocated so far.
const (
	heapMetric   = "/memory/classes/heap/objects:bytes"
	liveMetric   = "/gc/heap/live:bytes"
	goalMetric   = "/gc/heap/goal:bytes"
	gogcMetric   = "/gc/gogc:percent"
	cyclesMetric = "/gc/cycles/total:gc-cycles"
	allocsMetric = "/gc/heap/allocs:bytes"
)

// watchdog looks at the running executions every watchdogInterval. It
// stops executions that make the heap grow too much; at shutdown it stops
// the executions of open and data events (see pool.abandonEvents); and it
// counts its looks, so that an execution that ran for a while is known
// (its socket then checks that its client is still there).
//
// Memory. gopher-lua has no allocation limit of its own and Go cannot
// attribute allocations to a goroutine, so the watchdog measures each
// running execution by how much the heap grew while it ran: its charge.
// That is the live heap now less the live heap as of the last collection
// before it started, but never more than all that was allocated since it
// started, as growth has to be allocated: the first alone charged an
// execution that started late in a collection's cycle with the growth of
// the whole cycle; the second bounds that by what was allocated while it
// ran, which for a short execution is little. Bytes queued for clients
// are left out of the live heap: they belong to sockets, which bound them
// (Config.SendQueueBytes, SendTotalBytes).
//
// Executions running at once are all charged with whatever grew while
// they ran, by whichever of them, so a charge over the limit alone does
// not say who holds the memory: sixteen executions that each hold a
// quarter of the limit are each charged with up to four limits. What an
// execution holds is at most its charge, so the process is in danger only
// when the largest charge exceeds what the running executions could hold
// between them if none held more than the limit: the sum, over them, of
// their charge or the limit, whichever is less. A hog beside short
// executions is then stopped near the limit, while executions that each
// hold less than it are left alone however many run at once. The watchdog
// then stops one execution, the one charged the most (the one that
// started first, among equals, as the others ran beside it), and stops no
// other until that one's state is discarded and its memory collected
// (refresh), when it looks again.
//
// Only executions an earlier look found running are judged. An execution
// starts from the latest reading, up to one interval old, and one that
// started just after a large allocation (a hog doubling a string) would
// be charged with it: counting such short executions at their share each
// let a doubling hog grow to twelve times the limit beside two loops of
// short events. A hog is so judged from its second look on.
//
// Garbage alone never stops a script, and never costs a collection of its
// own: the live heap is known after each collection, and a collection is
// forced to confirm only when the heap has also outgrown the collector's
// goal (a hog outpacing it, or collection turned off). Forcing one
// whenever the heap looked big enough made a gateway whose live heap
// exceeds the limit, as thousands of sockets' does, collect every few
// seconds, and each collection stalled every socket for tens of
// milliseconds.
type watchdog struct {
	limit     uint64
	pool      *pool
	queued    *atomic.Int64 // bytes queued for clients (Engine.queued)
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu         sync.Mutex // held to read the heap: the watchdog and refresh both do
	samples    []metrics.Sample
	cycles     uint64 // collections when live was taken
	live       uint64 // the live heap as of the last collection, less the bytes queued then
	sinceFresh int    // readings since live was taken
}

func newWatchdog(limit uint64, p *pool, queued *atomic.Int64) *watchdog {
	w := &watchdog{limit: limit, pool: p, queued: queued, samples: heapSamples(),
		stop: make(chan struct{}), done: make(chan struct{})}
	w.read()
	go w.run()
	return w
}

// heapStats is one reading of the heap.
type heapStats struct {
	heap, live, goal, cycles, allocs uint64
	collecting                       bool // GOGC is not off
}

// heapSamples are what readHeap reads, in its order.
func heapSamples() []metrics.Sample {
	return []metrics.Sample{{Name: heapMetric}, {Name: liveMetric}, {Name: goalMetric}, {Name: gogcMetric},
		{Name: cyclesMetric}, {Name: allocsMetric}}
}

// readHeap reads the heap into s, made by heapSamples.
func readHeap(s []metrics.Sample) heapStats {
	metrics.Read(s)
	return heapStats{
		heap:       s[0].Value.Uint64(),
		live:       s[1].Value.Uint64(),
		goal:       s[2].Value.Uint64(),
		cycles:     s[4].Value.Uint64(),
		allocs:     s[5].Value.Uint64(),
		collecting: int64(s[3].Value.Uint64()) >= 0, // GOGC=off reads as -1
	}
}

// reading is the heap as the watchdog measures executions by: less the
// bytes queued for clients. recent says that live is from a collection
// this reading or the one before is the first to see (see look).
type reading struct {
	heap, live, allocs uint64
	recent             bool
	raw                heapStats
}

// read reads the heap, and makes it what executions starting from now are
// measured from.
func (w *watchdog) read() reading {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := readHeap(w.samples)
	queued := uint64(max(0, w.queued.Load()))
	w.sinceFresh++
	if h.cycles != w.cycles {
		// The first reading after a collection: the bytes queued now are
		// the closest to those it found.
		w.cycles, w.live, w.sinceFresh = h.cycles, minus(h.live, queued), 0
	}
	r := reading{heap: minus(h.heap, queued), live: w.live, allocs: h.allocs, recent: w.sinceFresh <= 1, raw: h}
	w.pool.live.Store(r.live)
	w.pool.allocs.Store(r.allocs)
	return r
}

func minus(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTimer(watchdogInterval)
	defer t.Stop()
	idle := time.Duration(0)
	for {
		select {
		case <-w.stop:
			return
		case <-w.pool.wake:
		case <-t.C:
		}
		next := watchdogInterval
		if w.pool.inUse() > 0 {
			idle = 0
			w.check()
		} else {
			w.read()
			idle += watchdogInterval
			if idle >= watchdogRest && w.pool.rest() {
				next = watchdogIdleInterval
			}
		}
		t.Reset(next)
	}
}

func (w *watchdog) check() {
	r := w.read()
	if w.look(r) {
		return
	}
	if r.raw.collecting && r.raw.heap <= r.raw.goal {
		return
	}
	if w.judge(r.heap, r.allocs, false) == nil {
		return
	}
	goruntime.GC()
	r = w.read()
	w.judge(r.live, r.allocs, true)
}

// look goes over the running executions: it counts the look, stops open
// and data events once the pool is abandoned, and, when the live heap is
// recent, stops the execution it says is over (see judge). It returns
// whether an execution is being stopped for memory: then no other is
// judged.
//
// The live heap is recent at the first look to see it and at the next,
// which judges the executions both found running, that is, about those
// running when it was measured: an execution that has ended since may
// have held some of it, and judging a later set by it charged the
// survivors with what the ended ones had held.
func (w *watchdog) look(r reading) bool {
	p := w.pool
	p.mu.Lock()
	stopping := p.refreshing
	for _, pv := range p.all {
		x := &pv.exec
		if !x.active {
			continue
		}
		x.looks++
		// Interrupting again is harmless, and needed for an execution
		// told before it started running.
		switch {
		case x.stopped:
			stopping = true
			pv.vm.Interrupt(x.cause)
		case p.abandon && x.kind != closeEvent:
			pv.vm.Interrupt(ErrShuttingDown)
		}
	}
	p.mu.Unlock()
	return stopping || r.recent && w.judge(r.live, r.allocs, true) != nil
}

// judge finds the execution to stop when the heap is now heap, after
// allocs bytes allocated: the one charged the most, if the process is in
// danger (see watchdog). With stop it stops it. It returns the execution,
// or nil; nil too while another is being stopped.
func (w *watchdog) judge(heap, allocs uint64, stop bool) *pooledVM {
	p := w.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refreshing {
		return nil
	}
	var most *pooledVM
	var charge, room uint64
	running := 0
	for _, pv := range p.all {
		x := &pv.exec
		if !x.active {
			continue
		}
		if x.stopped {
			return nil
		}
		if x.looks < 2 {
			continue // see watchdog: not yet measured
		}
		c := min(minus(heap, x.live), minus(allocs, x.allocs))
		room += min(c, w.limit)
		running++
		if most == nil || c > charge || c == charge && x.seq < most.exec.seq {
			most, charge = pv, c
		}
	}
	if most == nil || charge <= room {
		return nil
	}
	if stop {
		x := &most.exec
		x.stopped = true
		x.cause = fmt.Errorf("%w: the heap grew by %d MiB while it ran (limit %d MiB)", ErrMemoryLimit, charge>>20, w.limit>>20)
		if running > 1 {
			x.cause = fmt.Errorf("%w: the heap grew by %d MiB while it ran beside %d other executions, more than they could all hold within the limit of %d MiB each",
				ErrMemoryLimit, charge>>20, running-1, w.limit>>20)
		}
		most.vm.Interrupt(x.cause)
	}
	return most
}

// refresh collects the garbage a stopped memory hog left and reads the
// heap again, so that executions are measured from what is really live
// rather than from the hog's peak, and the watchdog judges again.
func (w *watchdog) refresh() {
	goruntime.GC()
	w.read()
	w.pool.mu.Lock()
	w.pool.refreshing = false
	w.pool.mu.Unlock()
}

// close stops the watchdog and waits for it; calling it again does nothing.
func (w *watchdog) close() {
	w.closeOnce.Do(func() { close(w.stop) })
	<-w.done
}
