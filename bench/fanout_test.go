package bench

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestFanoutReachesEverySocketOfTheRawHub runs a short fan-out against
// the raw broadcast hub in a child process: every message a sender sends
// reaches all the sockets, and the hub's CPU time is read.
func TestFanoutReachesEverySocketOfTheRawHub(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hub, err := StartChatHub(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Stop()
	const conns = 20
	res, err := LoadFanout(context.Background(), FanoutConfig{URL: hub.WSURL("/room"), Conns: conns, Senders: 2, Size: 64, Duration: 300 * time.Millisecond}, hub.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent == 0 || res.Lost != 0 {
		t.Fatalf("sent %d, lost %d sockets", res.Sent, res.Lost)
	}
	if c := res.Complete(conns); c != 1 {
		t.Errorf("%d deliveries of %d messages to %d sockets: %.2f of them", res.Delivered, res.Sent, conns, c)
	}
	if res.CPU <= 0 {
		t.Errorf("the hub's CPU time over the window: %s", res.CPU)
	}
}

func TestFanoutRefusesMoreSendersThanSockets(t *testing.T) {
	t.Parallel()
	if _, err := LoadFanout(context.Background(), FanoutConfig{URL: "ws://127.0.0.1:1/room", Conns: 2, Senders: 3}, 0); err == nil {
		t.Fatal("3 senders among 2 sockets were accepted")
	}
}
