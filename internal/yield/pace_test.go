package yield

import (
	"sync/atomic"
	"testing"
	"time"
)

// resetPacer forgets the shared pacing state between tests, which run
// one at a time in this package for it.
func resetPacer(t *testing.T) {
	t.Helper()
	pacer.mu.Lock()
	pacer.looked, pacer.seen, pacer.moved = time.Time{}, 0, time.Time{}
	n := len(pacer.sources)
	pacer.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d traffic sources left installed by an earlier test", n)
	}
}

func TestLookPausesOnlyWhileTrafficMoves(t *testing.T) {
	resetPacer(t)
	t0 := time.Now()
	// lookAt is the look at now when the last one ended at last;
	// lookAfter the look a Slice after last.
	lookAt := func(last, now time.Time) bool {
		pacer.mu.Lock()
		pacer.looked = last
		pacer.mu.Unlock()
		due, pause := look(now)
		if !due {
			t.Fatalf("no look %v after the last one", now.Sub(last))
		}
		return pause
	}
	lookAfter := func(last time.Time) (now time.Time, pause bool) {
		return last.Add(Slice), lookAt(last, last.Add(Slice))
	}
	if _, pause := lookAfter(t0); pause {
		t.Fatal("paused with no traffic source installed")
	}
	var served atomic.Uint64
	stop := PaceBy(func() uint64 { return served.Load() })
	t.Cleanup(stop)

	served.Store(5)
	if lookAt(t0.Add(-time.Hour), t0) {
		t.Fatal("paused on a count that moved since a look an hour old: when it moved is unknown")
	}
	now, pause := lookAfter(t0)
	if pause {
		t.Fatal("paused though the count did not move since the last look")
	}
	pacer.mu.Lock()
	pacer.looked = now
	pacer.mu.Unlock()
	if due, _ := look(now.Add(Slice / 2)); due {
		t.Fatal("looked again half a Slice after the last look ended")
	}
	served.Add(1)
	moved, pause := lookAfter(now)
	if !pause {
		t.Fatal("did not pause though the count moved during the last Slice")
	}
	if now, pause = lookAfter(moved); !pause {
		t.Fatal("stopped pausing one Slice after the traffic was last seen moving")
	}
	if _, pause := lookAfter(moved.Add(busyFor - Slice)); !pause {
		t.Fatal("stopped pausing within busyFor of the traffic moving")
	}
	if _, pause := lookAfter(moved.Add(busyFor + Slice)); pause {
		t.Fatal("still pausing busyFor after the traffic stopped")
	}

	stop()
	served.Add(1)
	if _, pause := lookAfter(now); pause {
		t.Fatal("paused for a source PaceBy's stop removed")
	}
}

// TestPacedPausesWhileServed runs paced work beside traffic that moves at
// every look, and counts the Steps that took a Pause or longer: time.Sleep
// sleeps at least that long, so each pause is one of them.
func TestPacedPausesWhileServed(t *testing.T) {
	resetPacer(t)
	var served atomic.Uint64
	stop := PaceBy(func() uint64 { return served.Add(1) })
	defer stop()

	const slices = 20
	var p Paced
	var work time.Duration
	long := 0
	for work < slices*Slice {
		begin := time.Now()
		p.Step()
		if d := time.Since(begin); d >= Pause {
			long++
		} else {
			work += d
		}
		spin(2 * time.Microsecond)
		work += 2 * time.Microsecond
	}
	if long < slices/2 {
		t.Fatalf("%d of %d Slices of work beside moving traffic paused, want nearly all", long, slices)
	}
}

func spin(d time.Duration) {
	for begin := time.Now(); time.Since(begin) < d; {
	}
}
