package luaapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDeadlineReusesTheContextOfExecutionsThatEndedNormally(t *testing.T) {
	d := newDeadline()
	defer d.close()
	first := d.start(time.Now(), time.Second)
	d.stop()
	second := d.start(time.Now(), time.Second)
	d.stop()
	if first != second {
		t.Fatal("a context no execution ended or derived from was not reused")
	}
	if err := second.Err(); err != nil {
		t.Fatalf("reused context: Err = %v", err)
	}
	if n := testing.AllocsPerRun(100, func() { d.start(time.Now(), time.Second); d.stop() }); n != 0 {
		t.Fatalf("start and stop allocate %v times, want 0", n)
	}
}

func TestDeadlineEndsDerivedContextsWithTheExecution(t *testing.T) {
	d := newDeadline()
	defer d.close()
	ctx := d.start(time.Now(), time.Second)
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	d.stop()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a context derived from an execution's outlived it")
	}
	if !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("derived context: Err = %v, want canceled", child.Err())
	}
	next := d.start(time.Now(), time.Second)
	defer d.stop()
	if next == ctx || next.Err() != nil {
		t.Fatalf("the execution after one with a derived context got %p (Err %v), want a fresh open context", next, next.Err())
	}
}

func TestDeadlineGivesATimedOutExecutionsSuccessorAFreshContext(t *testing.T) {
	d := newDeadline()
	defer d.close()
	ctx := d.start(time.Now(), time.Millisecond)
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(causeOf(ctx), ErrTimeout) {
		t.Fatalf("timed out: Err %v, cause %v", ctx.Err(), causeOf(ctx))
	}
	d.stop()
	next := d.start(time.Now(), time.Second)
	defer d.stop()
	if next.Err() != nil {
		t.Fatalf("next execution's context: Err = %v", next.Err())
	}

	cause := errors.New("over the memory limit")
	d.interrupt(cause)
	if !errors.Is(causeOf(next), cause) {
		t.Fatalf("interrupted: cause %v, want %v", causeOf(next), cause)
	}
}

func TestDeadlineStopsAnExecutionOnTimeAfterOneWithALongerTimeout(t *testing.T) {
	d := newDeadline()
	defer d.close()
	d.start(time.Now(), time.Hour)
	d.stop()
	start := time.Now()
	ctx := d.start(time.Now(), 20*time.Millisecond)
	defer d.stop()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a 20ms execution was not stopped within 5s: the timer kept the earlier execution's hour")
	}
	if !errors.Is(causeOf(ctx), ErrTimeout) {
		t.Fatalf("cause %v, want ErrTimeout", causeOf(ctx))
	}
	if elapsed := time.Since(start); elapsed < 20*time.Millisecond {
		t.Fatalf("stopped after %s, before its 20ms were up", elapsed)
	}
}

func TestDeadlineNeverStopsAnExecutionBeforeItsTime(t *testing.T) {
	d := newDeadline()
	defer d.close()
	// Executions back to back for 30ms, each with a 10ms timeout: the
	// timer an earlier one armed fires during a later one, which must not
	// be stopped. An execution found stopped must have run its whole 10ms
	// (a busy machine can oversleep the 1ms), so the check does not depend
	// on the scheduler.
	const timeout = 10 * time.Millisecond
	for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
		began := time.Now()
		ctx := d.start(time.Now(), timeout)
		if ctx.Err() != nil {
			t.Fatalf("a fresh execution's context is already done: %v", ctx.Err())
		}
		time.Sleep(time.Millisecond)
		if ctx.Err() != nil {
			if ran := time.Since(began); ran < timeout {
				t.Fatalf("an execution %s into its %s was stopped: %v", ran, timeout, causeOf(ctx))
			}
		}
		d.stop()
	}
}

// TestDeadlineInterruptsRacingExecutionsOnlyEndTheirOwn interrupts from
// another goroutine while executions start and stop back to back, as the
// memory watchdog may: a context an interrupt ended is never handed to a
// later execution, and every context that ends was interrupted or had a
// context derived from it.
func TestDeadlineInterruptsRacingExecutionsOnlyEndTheirOwn(t *testing.T) {
	d := newDeadline()
	defer d.close()
	cause := errors.New("interrupted")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			d.interrupt(cause)
		}
	}()
	var prev context.Context
	for i := 0; ; i++ {
		prevEnded := prev != nil && prev.Err() != nil
		ctx := d.start(time.Now(), time.Second)
		if ctx == prev && prevEnded {
			t.Fatalf("execution %d got the context of one that had ended", i)
		}
		if i%7 == 0 {
			child, cancel := context.WithCancel(ctx)
			d.stop()
			<-child.Done()
			cancel()
		} else {
			d.stop()
			if ctx.Err() != nil && !errors.Is(causeOf(ctx), cause) {
				t.Fatalf("execution %d ended by %v, not by an interrupt", i, causeOf(ctx))
			}
		}
		prev = ctx
		select {
		case <-done:
			return
		default:
		}
	}
}
