package hub_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
)

// nopSocket takes every frame and keeps nothing, so that a benchmark
// measures the hub alone.
type nopSocket struct{}

func (nopSocket) Send([]byte, bool) error         { return nil }
func (nopSocket) CloseWith(hub.CloseReason) error { return nil }
func (nopSocket) Drop()                           {}
func (nopSocket) Stats() hub.Stats                { return hub.Stats{} }

// BenchmarkSendToGroup sends to a group of 1,000 sockets among 10,000.
func BenchmarkSendToGroup(b *testing.B) {
	h := hub.New(hub.Config{})
	for i := range 10_000 {
		e := h.Register(hub.Conn{ID: hub.NewID(), Route: "/a", ConnectedAt: time.Now(), UserID: fmt.Sprintf("u%d", i)}, nopSocket{})
		if i%10 == 0 {
			if err := h.Join(e.Conn().ID, "room"); err != nil {
				b.Fatal(err)
			}
		}
	}
	msg := []byte("hello, room")
	t := hub.Target{By: hub.ByGroup, Key: "room"}
	b.ReportAllocs()
	for b.Loop() {
		if n := h.SendTo(t, msg, false); n != 1000 {
			b.Fatalf("reached %d", n)
		}
	}
}

// BenchmarkSendToUser sends to one user's three sockets among 10,000.
func BenchmarkSendToUser(b *testing.B) {
	h := hub.New(hub.Config{})
	for i := range 10_000 {
		h.Register(hub.Conn{ID: hub.NewID(), Route: "/a", ConnectedAt: time.Now(), UserID: fmt.Sprintf("u%d", i%3333)}, nopSocket{})
	}
	msg := []byte("hello, ann")
	t := hub.Target{By: hub.ByUser, Key: "u42"}
	b.ReportAllocs()
	for b.Loop() {
		if n := h.SendTo(t, msg, false); n != 3 {
			b.Fatalf("reached %d", n)
		}
	}
}
