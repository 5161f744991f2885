package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

// TestSendQueuesAreBoundedInBytes fills two sockets whose writers cannot
// run (as while their own events run) and checks each byte bound: one
// message, one socket, and all sockets together.
func TestSendQueuesAreBoundedInBytes(t *testing.T) {
	e, err := New(Config{SendQueueBytes: 64 << 10, SendTotalBytes: 96 << 10, MaxSendBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	a := detachedSocket(t, e, hub.Conn{ID: "a", Route: "/a"})
	b := detachedSocket(t, e, hub.Conn{ID: "b", Route: "/b"})
	a.dispatching, b.dispatching = true, true // no writer starts

	if err := a.Send(make([]byte, 8<<10+1), false); !errors.Is(err, luaapi.ErrBadArgument) || !strings.Contains(err.Error(), "over the limit of 8192") {
		t.Fatalf("oversized message: %v", err)
	}
	msg := make([]byte, 4<<10)
	fill := func(s *socket) (int, error) {
		for n := 0; ; n++ {
			if err := s.Send(msg, false); err != nil {
				return n, err
			}
		}
	}
	n, err := fill(a)
	if n != 16 || !errors.Is(err, luaapi.ErrQueueFull) || !strings.Contains(err.Error(), "waiting for this client") {
		t.Fatalf("socket a took %d messages of 4 KiB, then %v; want 16 (64 KiB), then a full queue", n, err)
	}
	n, err = fill(b)
	if n != 8 || !errors.Is(err, luaapi.ErrQueueFull) || !strings.Contains(err.Error(), "for slow clients") {
		t.Fatalf("socket b took %d messages, then %v; want 8 (the 96 KiB total), then a full queue", n, err)
	}
	if got := e.queued.Load(); got != 96<<10 {
		t.Fatalf("engine counts %d queued bytes, want %d", got, 96<<10)
	}
	// A batch written (recycled) stops counting, for the socket and in
	// total.
	a.recycle(a.take().batch, false)
	if got := e.queued.Load(); got != 32<<10 || a.queued != 0 {
		t.Fatalf("after a's batch was written: engine %d, socket %d", got, a.queued)
	}
	if err := b.Send(msg, false); err != nil {
		t.Fatalf("room freed by a's write was not given to b: %v", err)
	}
}

// TestWriteDeadlineGivesAtLeastTheTimeout checks the rounding that lets a
// busy socket's writes share a deadline: never less than the timeout,
// never more than a sixteenth over it, and one deadline for writes a
// little apart.
func TestWriteDeadlineGivesAtLeastTheTimeout(t *testing.T) {
	const timeout = 10 * time.Second
	now := time.Date(2026, 12, 2, 6, 0, 0, 123_456_789, time.UTC)
	for _, step := range []time.Duration{0, time.Nanosecond, time.Millisecond, 300 * time.Millisecond, 624 * time.Millisecond, 7 * time.Second} {
		at := now.Add(step)
		d := writeDeadline(at, timeout)
		if give := d.Sub(at); give < timeout || give > timeout+timeout/16 {
			t.Errorf("a write at +%s gets %s, want %s to %s", step, give, timeout, timeout+timeout/16)
		}
	}
	first := writeDeadline(now, timeout)
	same := 0
	for i := range 100 {
		if writeDeadline(now.Add(time.Duration(i)*time.Millisecond), timeout).Equal(first) {
			same++
		}
	}
	if same < 50 {
		t.Errorf("%d of 100 writes a millisecond apart share a deadline, want most", same)
	}
}

// BenchmarkWriteDeadline is the deadline every written message computes.
func BenchmarkWriteDeadline(b *testing.B) {
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		_ = writeDeadline(now.Add(time.Duration(i)), 10*time.Second)
	}
}
