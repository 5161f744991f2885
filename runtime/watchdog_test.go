package runtime

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
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
	c, err := scripts.Compile(scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/hog", Script: `
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

	for range 16 { // 8 MiB of garbage: twice the limit
		garbage = make([]byte, 512<<10)
	}
	garbage = nil
	before := forcedCollections()
	h := readHeap(heapSamples())
	if h.heap <= h.live+4<<20 || h.heap > h.goal {
		t.Skipf("heap %d MiB, live %d MiB, goal %d MiB: a collection ran meanwhile; the case is not set up",
			h.heap>>20, h.live>>20, h.goal>>20)
	}
	e.watchdog.check() // the execution is judged from its second look on
	e.watchdog.check()
	if n := forcedCollections() - before; n != 0 {
		t.Fatalf("the watchdog forced %d collections for garbage below the collector's goal", n)
	}
	goruntime.KeepAlive(ballast)
}

// garbage is where a test makes garbage: a package variable, so that the
// compiler keeps every allocation.
var garbage []byte

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

// watchdogEngine runs scripts, one endpoint per path, with a memory limit
// of limit and room for 8 executions on one endpoint; what fails is logged to
// logs.
func watchdogEngine(t *testing.T, logs *lockedBuffer, limit int64, endpoints map[string]string) *Engine {
	t.Helper()
	e, err := New(Config{
		ScriptMemory:   limit,
		ScriptTimeout:  30 * time.Second, // the watchdog, not the timeout, must stop a hog
		LuaStates:      8,
		EndpointStates: 8,
		Logger:         slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	var sol scripts.Solution
	for path, script := range endpoints {
		sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{Path: path, Script: script})
	}
	c, err := scripts.Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	e.Load(c)
	return e
}

// dataOn dispatches a data event to a new socket of route.
func dataOn(t *testing.T, e *Engine, route string) func() {
	s := detachedSocket(t, e, hub.Conn{ID: hub.NewID(), Route: route, ConnectedAt: time.Now()})
	ev := &luaapi.Event{Type: luaapi.EventData, Conn: s.conn, Peer: s, Message: []byte("go")}
	return func() { e.dispatch(s, ev) }
}

// TestWatchdogStopsTheHogAndSparesExecutionsBesideIt runs short events in
// a loop, and a slower one that allocates nothing, while a hog grows the
// heap: only the hog may be stopped. A live ballast makes the collector's
// cycles long, so the innocent executions start in the same cycle as the
// hog, whose growth no collection has yet seen.
func TestWatchdogStopsTheHogAndSparesExecutionsBesideIt(t *testing.T) {
	logs := &lockedBuffer{}
	e := watchdogEngine(t, logs, 8<<20, map[string]string{
		"/hog":  `local t = {} while true do t[#t + 1] = string.rep("x", 10000) .. #t end`,
		"/calm": `local n = 0 for i = 1, 100 do n = n + i end`,
		"/slow": `local stop = os.clock() + 0.02 while os.clock() < stop do end`,
	})
	ballast := make([][]byte, 64)
	for i := range ballast {
		ballast[i] = make([]byte, 512<<10)
	}
	defer goruntime.KeepAlive(ballast)
	e.watchdog.refresh()
	hog := dataOn(t, e, "/hog")
	done := make(chan struct{})
	go func() {
		defer close(done)
		hog()
	}()
	var wg sync.WaitGroup
	var innocent atomic.Int64
	for _, route := range []string{"/calm", "/slow"} {
		run := dataOn(t, e, route)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				run()
				innocent.Add(1)
			}
		}()
	}
	<-done
	wg.Wait()
	out := logs.String()
	if n := strings.Count(out, "script failed"); n != 1 || !strings.Contains(out, "route=/hog") || !strings.Contains(out, "exceeded the memory limit") {
		t.Fatalf("%d executions failed, want the hog alone, stopped for memory, after %d innocent ones:\n%s", n, innocent.Load(), out)
	}
}

// TestWatchdogSparesExecutionsThatEachHoldLessThanTheLimit: four
// executions at once each hold about half the limit, so the heap grows by
// twice the limit while they run; none holds more than its share.
func TestWatchdogSparesExecutionsThatEachHoldLessThanTheLimit(t *testing.T) {
	logs := &lockedBuffer{}
	e := watchdogEngine(t, logs, 8<<20, map[string]string{"/hold": `
local t = {}
for i = 1, 40000 do t[i] = string.rep("x", 64) .. i end
local stop = os.clock() + 0.2
while os.clock() < stop do end
if #t ~= 40000 then error("lost") end`})
	before := readHeap(heapSamples()).cycles
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 4 {
		run := dataOn(t, e, "/hold")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			run()
		}()
	}
	close(start)
	wg.Wait()
	if strings.Contains(logs.String(), "script failed") {
		t.Fatalf("an execution holding less than the limit was stopped:\n%s", logs.String())
	}
	if readHeap(heapSamples()).cycles == before {
		t.Skip("no collection ran while they held their memory; the case is not set up")
	}
}

// TestWatchdogDoesNotChargeBytesQueuedForClients: a broadcast queues more
// than the limit for clients whose writers cannot run; the send queues
// bound those bytes, not the script's memory limit.
func TestWatchdogDoesNotChargeBytesQueuedForClients(t *testing.T) {
	logs := &lockedBuffer{}
	e := watchdogEngine(t, logs, 8<<20, map[string]string{"/send": `
local big = string.rep("x", 1024 * 1024)
for _, id in ipairs(Websocket.list()) do
  if id ~= websocketInfo.socket_id then
    for i = 1, 3 do
      local err = Websocket.send({socket_id = id, message = big})
      if err then error(err.error) end
    end
  end
end
local stop = os.clock() + 0.3
while os.clock() < stop do end`})
	for i := range 4 {
		s := detachedSocket(t, e, hub.Conn{ID: fmt.Sprint("client", i), Route: "/send"})
		s.dispatching = true // no writer starts: the bytes stay queued
	}
	send := dataOn(t, e, "/send")
	done := make(chan struct{})
	go func() {
		defer close(done)
		send()
	}()
	for e.queued.Load() < 12<<20 {
		select {
		case <-done:
			t.Fatalf("the broadcast ended with %d bytes queued:\n%s", e.queued.Load(), logs.String())
		case <-time.After(time.Millisecond):
		}
	}
	goruntime.GC() // the watchdog now sees the queued bytes live
	<-done
	if strings.Contains(logs.String(), "script failed") {
		t.Fatalf("bytes queued for clients were charged to the script:\n%s", logs.String())
	}
}
