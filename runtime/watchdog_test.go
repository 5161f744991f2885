package runtime

import (
	"bytes"
	"context"
	"log/slog"
	goruntime "runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// lockedBuffer is a log sink the test can read while the engine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWatchdogStopsAMemoryHogAndReplacesItsState(t *testing.T) {
	logs := &lockedBuffer{}
	e, err := New(Config{
		ScriptMemory:  16 << 20,
		ScriptTimeout: 30 * time.Second, // the watchdog, not the timeout, must stop it
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	c, err := scripts.Compile(scripts.Solution{Endpoints: []scripts.Endpoint{{Path: "/hog", Script: `
if websocketInfo.message == "hog" then
  local t = {}
  while true do t[#t + 1] = string.rep("x", 100) .. #t end
end`}}})
	if err != nil {
		t.Fatal(err)
	}
	e.Load(c)
	s := detachedSocket(t, e, hub.Conn{ID: hub.NewID(), Route: "/hog", ConnectedAt: time.Now()})
	conn := s.conn
	event := func(msg string) *luaapi.Event {
		return &luaapi.Event{Type: luaapi.EventData, Conn: conn, Peer: s, Message: []byte(msg), Timestamp: time.Now()}
	}

	e.dispatch(s, event("hog"))
	if !strings.Contains(logs.String(), "exceeded the memory limit") {
		t.Fatalf("the hog was not stopped by the memory limit:\n%s", logs.String())
	}
	e.pool.mu.Lock()
	states := len(e.pool.all)
	e.pool.mu.Unlock()
	if states != 0 {
		t.Fatalf("the hog's state was kept: %d states in the pool", states)
	}

	e.dispatch(s, event("calm"))
	if n := strings.Count(logs.String(), "script failed"); n != 1 {
		t.Fatalf("a calm event after the hog failed too:\n%s", logs.String())
	}
	if e.pool.inUse() != 0 {
		t.Fatalf("%d states still counted in use", e.pool.inUse())
	}
}

// TestWatchdogDoesNotCollectForGarbage grows the heap with garbage past a
// running execution's limit, but not past the collector's goal: the
// watchdog must neither force a collection nor stop the execution.
func TestWatchdogDoesNotCollectForGarbage(t *testing.T) {
	e, err := New(Config{ScriptMemory: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	ballast := make([][]byte, 64) // 32 MiB live, so the goal leaves room for garbage
	for i := range ballast {
		ballast[i] = make([]byte, 512<<10)
	}
	goruntime.GC()
	e.watchdog.refresh()
	pv, _ := e.pool.get(e.pool.join("/b"), &waitSlot{}, dataEvent)
	defer e.pool.put(pv)

	var sink [][]byte
	for range 16 { // 8 MiB of garbage: twice the limit
		sink = append(sink, make([]byte, 512<<10))
	}
	sink = nil
	before := forcedCollections()
	h := readHeap()
	if h.heap <= h.live+4<<20 || h.heap > h.goal {
		t.Skipf("heap %d MiB, live %d MiB, goal %d MiB: a collection ran meanwhile; the case is not set up",
			h.heap>>20, h.live>>20, h.goal>>20)
	}
	e.watchdog.check()
	if n := forcedCollections() - before; n != 0 {
		t.Fatalf("the watchdog forced %d collections for garbage below the collector's goal", n)
	}
	goruntime.KeepAlive(ballast)
	goruntime.KeepAlive(sink)
}

func forcedCollections() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestAShutdownThatTimesOutStillStopsTheWatchdog: a socket that never
// finishes must not leave the watchdog's goroutine running after Shutdown
// has given up on it.
func TestAShutdownThatTimesOutStillStopsTheWatchdog(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.live.Add(1) // a socket whose close event never ends
	defer e.live.Done()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown succeeded with a socket still open")
	}
	select {
	case <-e.watchdog.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the watchdog still runs after a timed-out shutdown")
	}
}
