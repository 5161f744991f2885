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
	setLooked := func(at time.Time) {
		pacer.mu.Lock()
		pacer.looked = at
		pacer.mu.Unlock()
	}
	if look(t0) {
		t.Fatal("paused with no traffic source installed")
	}
	var served atomic.Uint64
	stop := PaceBy(func() uint64 { return served.Load() })

	served.Store(5)
	setLooked(t0.Add(-time.Hour))
	if look(t0) {
		t.Fatal("paused on a count that moved since a look an hour old: when it moved is unknown")
	}
	setLooked(t0)
	now := t0.Add(Slice)
	if look(now) {
		t.Fatal("paused though the count did not move since the last look")
	}
	served.Add(1)
	setLooked(now)
	now = now.Add(Slice)
	if !look(now) {
		t.Fatal("did not pause though the count moved during the last Slice")
	}
	moved := now
	setLooked(now)
	now = now.Add(Slice)
	if !look(now) {
		t.Fatal("stopped pausing one Slice after the traffic was last seen moving")
	}
	setLooked(moved.Add(busyFor))
	if !look(moved.Add(busyFor)) {
		t.Fatal("stopped pausing within busyFor of the traffic moving")
	}
	setLooked(moved.Add(busyFor + Slice))
	if look(moved.Add(busyFor + 2*Slice)) {
		t.Fatal("still pausing busyFor after the traffic stopped")
	}

	stop()
	served.Add(1)
	setLooked(now)
	if look(now.Add(Slice)) {
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
