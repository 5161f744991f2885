package yield

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestStepLetsOthersRun busy-loops on one processor, stepping a Yielder,
// beside a goroutine that counts the turns it gets. Without the yields it
// would get one each time the runtime preempts the loop, every 10 ms;
// with them, one per Slice.
func TestStepLetsOthersRun(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var turns atomic.Int64
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			turns.Add(1)
			runtime.Gosched()
		}
	}()
	var y Yielder
	start := time.Now()
	for time.Since(start) < 100*Slice {
		y.Step()
	}
	stop.Store(true)
	<-done
	// 100 slices, give or take the machine's other work: far more than
	// the two preemptions 20 ms of busy loop would give.
	if n := turns.Load(); n < 20 {
		t.Fatalf("the other goroutine ran %d times during 100 slices of work, want one per slice", n)
	}
}
