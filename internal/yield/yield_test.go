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
	t.Run("Yielder", func(t *testing.T) { testLetsOthersRun(t, new(Yielder)) })
	// Without a traffic source, paced work only yields, as a Yielder.
	t.Run("Paced", func(t *testing.T) { resetPacer(t); testLetsOthersRun(t, new(Paced)) })
}

// stepper is what Yielder and Paced have in common.
type stepper interface{ Step() }

func testLetsOthersRun(t *testing.T, y stepper) {
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
