package runtime

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/workpool"
)

// TestPingWheelKeepsEverySocketInOneSlotUntilRemoved adds sockets over
// several turns, removes them in a random order, and checks after each
// step that every socket still in the wheel is where its place says, once.
func TestPingWheelKeepsEverySocketInOneSlotUntilRemoved(t *testing.T) {
	t.Parallel()
	w := &pingWheel{interval: time.Hour, workers: workpool.New(1, time.Hour)}
	defer w.close()
	socks := make([]*socket, 300)
	for i := range socks {
		socks[i] = &socket{}
		w.add(socks[i])
		if i%7 == 0 {
			w.mu.Lock()
			w.next = (w.next + 1) % pingSlots // as a turn would
			w.mu.Unlock()
		}
	}
	check := func(in map[*socket]bool) {
		t.Helper()
		w.mu.Lock()
		defer w.mu.Unlock()
		n := 0
		for i, slot := range w.slots {
			for j, s := range slot {
				n++
				if !in[s] || int(s.pingSlot) != i || int(s.pingAt) != j+1 {
					t.Fatalf("slot %d index %d: a socket placed at slot %d, %d (in the wheel: %v)", i, j, s.pingSlot, s.pingAt, in[s])
				}
			}
		}
		if n != len(in) {
			t.Fatalf("%d sockets in the wheel, want %d", n, len(in))
		}
	}
	in := map[*socket]bool{}
	for _, s := range socks {
		in[s] = true
	}
	check(in)
	for _, i := range rand.Perm(len(socks)) {
		w.remove(socks[i])
		w.remove(socks[i]) // a second remove does nothing
		delete(in, socks[i])
		check(in)
	}
}

// A ping interval shorter than the wheel's shortest turn turns it at that
// turn, rather than panic or spin.
func TestPingWheelOfATinyIntervalTurnsAtItsShortestTurn(t *testing.T) {
	t.Parallel()
	w := &pingWheel{interval: time.Nanosecond, workers: workpool.New(1, time.Hour)}
	s := &socket{closing: &hub.CloseShutdown} // pinged, it asks for nothing
	w.add(s)
	turned := func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.next >= 2
	}
	for deadline := time.Now().Add(10 * time.Second); !turned(); {
		if time.Now().After(deadline) {
			t.Fatal("the wheel did not turn")
		}
		time.Sleep(minPingTurn)
	}
	w.close()
	w.remove(s)
}
