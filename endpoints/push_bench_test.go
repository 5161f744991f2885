package endpoints_test

import (
	"testing"
	"time"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/push"
)

func benchPushGateway(b *testing.B) *lgtesting.Gateway {
	return lgtesting.NewGateway(b, func(c *gateway.Config) { c.Push.MaxPending = -1 })
}

// BenchmarkPushToConnectedRecipient pushes to a recipient with an open
// socket and waits for each frame: a commit per push, and the delivery
// marks committed in batches alongside.
func BenchmarkPushToConnectedRecipient(b *testing.B) {
	g := benchPushGateway(b)
	svc := g.Push()
	reg, err := svc.Register(auth.TokenSpec{Recipient: "bench"}, g.Addr(), false)
	if err != nil {
		b.Fatal(err)
	}
	c := lgtesting.Dial(b, reg.ConnectionURI)
	g.SocketIDs(1)
	got := make(chan struct{}, 16)
	go c.Drain(got)
	req := push.SendRequest{Recipients: []string{"bench"}, Message: "hello"}
	lgtesting.PushRate(b, svc, req, got)
}

// BenchmarkPushToOfflineRecipient stores messages for a recipient with
// no socket: a bbolt commit each.
func BenchmarkPushToOfflineRecipient(b *testing.B) {
	svc := benchPushGateway(b).Push()
	req := push.SendRequest{Recipients: []string{"away"}, Message: "hello", ExpiresAt: time.Now().Add(time.Hour)}
	lgtesting.PushRate(b, svc, req, nil)
}

// BenchmarkDeliver1000PendingOnConnect connects a recipient with 1,000
// PENDING messages and reads them all.
func BenchmarkDeliver1000PendingOnConnect(b *testing.B) {
	g := benchPushGateway(b)
	svc := g.Push()
	recipients := make([]string, 1000)
	for i := range recipients {
		recipients[i] = "later"
	}
	for range b.N {
		b.StopTimer()
		if _, err := svc.Send(push.SendRequest{Recipients: recipients, Message: "queued", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		reg, err := svc.Register(auth.TokenSpec{Recipient: "later"}, g.Addr(), false)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c := lgtesting.Dial(b, reg.ConnectionURI)
		for range recipients {
			if _, _, err := c.Conn.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		_ = c.Conn.Close()
		// The next round starts with none pending.
		lgtesting.Eventually(b, "the deliveries recorded", func() bool {
			page, err := svc.Messages(push.Query{Filter: push.Filter{Recipient: "later", Status: push.Pending}, Limit: 1})
			return err == nil && len(page.Messages) == 0
		})
		b.StartTimer()
	}
}
