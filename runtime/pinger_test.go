package runtime

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestPingWheelKeepsEverySocketInOneSlotUntilRemoved adds sockets over
// several turns, removes them in a random order, and checks after each
// step that every socket still in the wheel is where its place says, once.
func TestPingWheelKeepsEverySocketInOneSlotUntilRemoved(t *testing.T) {
	t.Parallel()
	w := &pingWheel{interval: time.Hour}
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
