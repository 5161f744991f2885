package workpool_test

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/luagate/luagate/internal/workpool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fn is a Task of a function.
type fn func()

func (f fn) Run() { f() }

// eventually fails t unless cond holds within 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// workers counts the process's goroutines that are a pool's.
func workers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("internal/workpool.(*Pool).work("))
}

// noWorkers waits until the pools of earlier tests have no goroutine left,
// for a test that counts them.
func noWorkers(t *testing.T) {
	t.Helper()
	eventually(t, "earlier tests' pools to end", func() bool { return workers() == 0 })
}

// goroutineID is the id of the calling goroutine, from its stack trace.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := bytes.Cut(bytes.TrimPrefix(buf, []byte("goroutine ")), []byte(" "))
	return string(id)
}

// runOne runs a task on p and waits for it to end.
func runOne(p *workpool.Pool) {
	done := make(chan struct{})
	p.Go(fn(func() { close(done) }))
	<-done
}

// runBlocked runs n tasks on p that wait until release is called, and
// returns once all have started.
func runBlocked(p *workpool.Pool, n int) (release func()) {
	ch := make(chan struct{})
	var started sync.WaitGroup
	started.Add(n)
	for range n {
		p.Go(fn(func() {
			started.Done()
			<-ch
		}))
	}
	started.Wait()
	return func() { close(ch) }
}

func TestATaskThatBlocksHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	p := workpool.New(4, time.Hour)
	defer p.Close()
	release, blocked := make(chan struct{}), make(chan struct{})
	p.Go(fn(func() { close(blocked); <-release }))
	<-blocked
	done := make(chan struct{})
	p.Go(fn(func() { close(done) }))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a task waited behind one that blocks")
	}
	close(release)
}

func TestAFinishedTasksGoroutineRunsTheNext(t *testing.T) {
	t.Parallel()
	p := workpool.New(4, time.Hour)
	defer p.Close()
	ids := make(chan string, 1)
	var first string
	for i := range 20 {
		p.Go(fn(func() { ids <- goroutineID() }))
		id := <-ids
		if i == 0 {
			first = id
		} else if id != first {
			t.Fatalf("task %d ran on goroutine %s, the first on %s", i, id, first)
		}
		eventually(t, "the goroutine to be idle", func() bool { return p.Idle() == 1 })
	}
}

func TestNoMoreThanMaxIdleGoroutinesAreKept(t *testing.T) {
	// Not parallel: it counts the process's pool goroutines.
	noWorkers(t)
	p := workpool.New(2, time.Hour)
	defer p.Close()
	release := runBlocked(p, 5)
	if n := p.Idle(); n != 0 {
		t.Fatalf("%d idle goroutines while 5 tasks run", n)
	}
	release()
	// Once the five have each been kept or ended, two are left.
	eventually(t, "3 of the 5 goroutines to end", func() bool { return workers() == 2 })
	if n := p.Idle(); n != 2 {
		t.Fatalf("%d idle goroutines kept, the maximum is 2", n)
	}
}

func TestCloseEndsIdleGoroutinesAndGoStillRuns(t *testing.T) {
	// Not parallel: it counts the process's pool goroutines.
	noWorkers(t)
	p := workpool.New(4, time.Hour)
	runOne(p)
	eventually(t, "the goroutine to be idle", func() bool { return p.Idle() == 1 })
	p.Close()
	eventually(t, "the idle goroutine to end", func() bool { return workers() == 0 })
	runOne(p)
	eventually(t, "the goroutine of a task after Close to end", func() bool { return workers() == 0 })
	if n := p.Idle(); n != 0 {
		t.Fatalf("a closed pool keeps %d idle goroutines", n)
	}
}

// keep is the keep time of the pools threeIdle makes.
const keep = 20 * time.Millisecond

// threeIdle returns a pool with a keep time of keep and three idle
// goroutines, in a process where no other pool has any.
func threeIdle(t *testing.T) *workpool.Pool {
	t.Helper()
	noWorkers(t)
	p := workpool.New(4, keep)
	t.Cleanup(p.Close)
	runBlocked(p, 3)()
	eventually(t, "3 idle goroutines", func() bool { return p.Idle() == 3 })
	return p
}

func TestAGoroutineIdleLongerThanTheKeepTimeEndsWhenAnotherTaskEnds(t *testing.T) {
	// Not parallel: it counts the process's pool goroutines.
	p := threeIdle(t)
	// The one taken now is idle again at once; the two others have been
	// idle longer than keep when it is.
	<-time.After(2 * keep)
	runOne(p)
	eventually(t, "the two long idle goroutines to end", func() bool { return workers() == 1 })
	if n := p.Idle(); n != 1 {
		t.Fatalf("%d idle goroutines after the others' keep time, want 1", n)
	}
}

func TestEndIdleEndsTheGoroutinesIdleLongerThanTheKeepTime(t *testing.T) {
	// Not parallel: it counts the process's pool goroutines.
	p := threeIdle(t)
	p.EndIdle()
	if n := p.Idle(); n != 3 {
		t.Fatalf("EndIdle within the keep time left %d idle goroutines, want 3", n)
	}
	<-time.After(2 * keep)
	p.EndIdle()
	eventually(t, "the idle goroutines to end", func() bool { return workers() == 0 })
	if n := p.Idle(); n != 0 {
		t.Fatalf("%d idle goroutines after EndIdle past the keep time", n)
	}
}
