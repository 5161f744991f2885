// Package yield lets long work on a goroutine give way, often, to the
// goroutines that serve sockets.
//
// Go preempts a goroutine that runs without blocking only after 10 ms.
// Until then the goroutines queued on its processor wait, and the other
// processor does not take them while the collector's idle mark worker
// runs on it, which is most of the time a deploy's garbage is being
// collected: on 2 cores, sockets' round trips during back-to-back deploys
// took 15-25 ms at p99 against 1.3 ms without them.
//
// A Yielder only yields; a Paced, for a deploy's work, also pauses while
// the server's sockets are being served (PaceBy), as yielding leaves the
// deploy a whole core of the machine, which the sockets' clients may need
// as well.
package yield

import (
	"runtime"
	"time"
)

// Slice is how long work runs between two yields at most, give or take
// clockEvery steps of it.
const Slice = 200 * time.Microsecond

// Yielder yields the processor when its work has run for a Slice. The
// zero value is ready; one Yielder serves one goroutine.
type Yielder struct {
	// start is the first Step's time; due is when, since start, the next
	// yield is. Measuring from one reading needs only the monotonic clock
	// at each later reading, half the cost of time.Now.
	start time.Time
	due   time.Duration
	steps uint32
}

// clockEvery is how many Steps share a reading of the clock. A reading
// costs more than many steps' work: a change of one endpoint of a
// thousand steps about 6,500 times, and reading the clock at each was a
// tenth of its CPU.
const clockEvery = 16

// Step is called between steps of the work: it yields if the work has
// run for a Slice since the last yield, looking at the clock every
// clockEvery steps.
func (y *Yielder) Step() {
	y.steps++
	if y.steps%clockEvery != 1 {
		return
	}
	if y.start.IsZero() {
		y.start, y.due = time.Now(), Slice
		return
	}
	if time.Since(y.start) < y.due {
		return
	}
	runtime.Gosched()
	y.due = time.Since(y.start) + Slice
}
