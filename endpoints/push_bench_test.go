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
	lgtesting.DeliverPendingRate(b, g.Push(), g.Addr(), func(token string) *lgtesting.Client {
		return lgtesting.Dial(b, g.WSURL("/push?token="+token))
	})
}
