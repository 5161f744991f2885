package runtime

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

func testPool(t *testing.T, size, reserve, share int) *pool {
	h := hub.New(hub.Config{})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := newPool(size, reserve, share, func() *luaapi.VM { return luaapi.NewVM(luaapi.Options{Sockets: h, Logger: logger}) })
	t.Cleanup(p.close)
	return p
}

// waiting starts an event of kind on r that must wait, and returns what it
// gets once it has its state (nil if its wait was cancelled).
func waiting(t *testing.T, p *pool, sh *endpointShare, slot *waitSlot, kind eventKind) <-chan *pooledVM {
	t.Helper()
	got := make(chan *pooledVM, 1)
	go func() {
		pv, _ := p.get(sh, slot, kind)
		got <- pv
	}()
	waitQueued(t, p, sh, slot)
	return got
}

// waitQueued returns once the event of slot waits in p's queue.
func waitQueued(t *testing.T, p *pool, sh *endpointShare, slot *waitSlot) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		queued := slot.w != nil && slot.w.queued
		p.mu.Unlock()
		if queued {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event of %s does not wait", sh.path)
		}
		time.Sleep(time.Millisecond)
	}
}

func now(t *testing.T, p *pool, sh *endpointShare, kind eventKind) *pooledVM {
	t.Helper()
	var slot waitSlot
	pv, _ := p.get(sh, &slot, kind)
	if slot.w != nil {
		t.Fatalf("an event of %s waited", sh.path)
	}
	return pv
}

func receive(t *testing.T, ch <-chan *pooledVM) *pooledVM {
	t.Helper()
	select {
	case pv := <-ch:
		return pv
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting event got nothing")
		return nil
	}
}

func TestPoolKeepsEndpointsToTheirShareAndCloseEventsToTheReserve(t *testing.T) {
	p := testPool(t, 2, 1, 1)
	a, b, c, d := p.join("/a"), p.join("/b"), p.join("/c"), p.join("/d")

	a1 := now(t, p, a, dataEvent)
	var a2slot waitSlot
	a2 := waiting(t, p, a, &a2slot, dataEvent) // /a is at its share
	b1 := now(t, p, b, dataEvent)              // the pool has room for /b
	c1 := waiting(t, p, c, &waitSlot{}, dataEvent)
	d1 := now(t, p, d, closeEvent) // the pool is full, its reserve is not
	bClose := waiting(t, p, b, &waitSlot{}, closeEvent)

	p.put(b1) // close events first, and /b has room again
	b2 := receive(t, bClose)
	p.cancel(&a2slot)
	if pv := receive(t, a2); pv != nil {
		t.Fatal("a cancelled wait got a state")
	}
	p.put(d1) // a state of the reserve: not for /c's data event
	select {
	case <-c1:
		t.Fatal("a data event got a state of the reserve")
	case <-time.After(10 * time.Millisecond):
	}
	p.put(b2)
	p.put(receive(t, c1))
	p.put(a1)
	if n := p.inUse(); n != 0 {
		t.Fatalf("%d states in use after every event", n)
	}
}

// A wait of lateWait or more is late, so that dispatch asks whether the
// client is still there; the brief waits of a full pool are not asked
// about (a system call per message), which the clock cannot make certain
// in a test, so only the long side is asserted.
func TestPoolReportsALongWaitAsLate(t *testing.T) {
	p := testPool(t, 1, 0, 1)
	a := p.join("/a")
	first := now(t, p, a, dataEvent)
	var slot waitSlot
	late := make(chan bool, 1)
	go func() {
		pv, l := p.get(a, &slot, dataEvent)
		p.put(pv)
		late <- l
	}()
	waitQueued(t, p, a, &slot)
	time.Sleep(lateWait)
	p.put(first)
	if !<-late {
		t.Fatalf("a wait of more than %v was not reported late", lateWait)
	}
}

func TestPoolServesWaitingEndpointsInTurn(t *testing.T) {
	p := testPool(t, 1, 0, 1)
	a, b, z := p.join("/a"), p.join("/b"), p.join("/z")
	first := now(t, p, z, dataEvent)
	aFirst := waiting(t, p, a, &waitSlot{}, dataEvent)
	aSecond := waiting(t, p, a, &waitSlot{}, dataEvent)
	bFirst := waiting(t, p, b, &waitSlot{}, dataEvent)

	p.put(first)
	pv := receive(t, aFirst)
	p.put(pv)
	select {
	case <-aSecond:
		t.Fatal("/a's second event went before /b's first")
	case pv = <-bFirst:
	case <-time.After(10 * time.Second):
		t.Fatal("no one got the state")
	}
	p.put(pv)
	p.put(receive(t, aSecond))
	if n := p.inUse(); n != 0 {
		t.Fatalf("%d states in use after every event", n)
	}
}

// An event's execution is timed from when it got its state: one that
// waited must not have spent its script timeout in the queue, and a state
// handed over without a wait must not carry its last holder's reading.
func TestPoolTimesAWaitedEventFromItsGrant(t *testing.T) {
	p := testPool(t, 1, 0, 1)
	a := p.join("/a")
	first := now(t, p, a, dataEvent)
	var slot waitSlot
	got := waiting(t, p, a, &slot, dataEvent)
	handed := time.Now()
	p.put(first)
	pv := receive(t, got)
	if pv.granted.Before(handed) {
		t.Fatalf("a waited event is timed from %v, before its state was handed over at %v", pv.granted, handed)
	}
	p.put(pv)
	if again := now(t, p, a, dataEvent); !again.granted.IsZero() {
		t.Fatalf("a state got without a wait carries the reading %v", again.granted)
	}
}
