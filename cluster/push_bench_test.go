package cluster_test

import (
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/push"
)

// benchPushCluster starts three nodes whose push cap is maxPending.
func benchPushCluster(b *testing.B, maxPending int) []*lgtesting.Gateway {
	b.Helper()
	return lgtesting.NewCluster(b, lgtesting.NATS(b), 3, func(c *gateway.Config) { c.Push.MaxPending = maxPending })
}

// BenchmarkClusterPushToOfflineRecipient stores messages for a recipient
// with no socket, on node1: two bucket writes each, and with a cap the
// count of the recipient's queue before them.
func BenchmarkClusterPushToOfflineRecipient(b *testing.B) {
	for _, bc := range []struct {
		name string
		max  int
	}{{"cap=none", -1}, {"cap=1000000", 1_000_000}} {
		b.Run(bc.name, func(b *testing.B) {
			svc := benchPushCluster(b, bc.max)[0].Push()
			req := push.SendRequest{Recipients: []string{"away"}, Message: "hello", ExpiresAt: time.Now().Add(time.Hour)}
			lgtesting.PushRate(b, svc, req, nil)
		})
	}
}

// BenchmarkClusterPushToConnectedRecipient pushes on node1 to a recipient
// whose socket is on node1 (local) or node2 (remote), waiting for each
// frame.
func BenchmarkClusterPushToConnectedRecipient(b *testing.B) {
	for _, at := range []struct {
		name string
		node int
	}{{"local", 0}, {"remote", 1}} {
		b.Run(at.name, func(b *testing.B) {
			gws := benchPushCluster(b, -1)
			svc := gws[0].Push()
			token := gws[0].RegisterRecipient("bench", "")
			c := gws[at.node].DialPush(token)
			if at.node != 0 {
				seen(b, gws[0], "bench", "node2")
			}
			got := make(chan struct{}, 16)
			go c.Drain(got)
			req := push.SendRequest{Recipients: []string{"bench"}, Message: "hello"}
			lgtesting.PushRate(b, svc, req, got)
		})
	}
}

// BenchmarkClusterDeliver1000PendingOnConnect pushes 1,000 messages on
// node1, then connects their recipient to node2 and reads them all: the
// claims, the frames and, off the clock, their DELIVERED marks.
func BenchmarkClusterDeliver1000PendingOnConnect(b *testing.B) {
	gws := benchPushCluster(b, -1)
	lgtesting.DeliverPendingRate(b, gws[0].Push(), gws[1].Addr(), gws[1].DialPush)
}
