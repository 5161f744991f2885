package lgtesting

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/gateway"
)

// NATS starts a NATS server with JetStream on 127.0.0.1, its data in a
// temporary dir, and stops it when the test ends. It returns the server,
// whose ClientURL the gateways join.
func NATS(tb testing.TB) *server.Server {
	tb.Helper()
	ns, err := cluster.StartEmbedded(cluster.Embedded{Name: "test", Listen: "127.0.0.1:-1",
		StoreDir: filepath.Join(tb.TempDir(), "nats")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// InCluster makes the gateway a node named node of the cluster at url,
// answering for other nodes within a second.
func InCluster(url, node string) Option {
	return func(c *gateway.Config) {
		c.Cluster.URLs = url
		c.Cluster.NodeID = node
		c.Cluster.Timeout = time.Second
	}
}

// NewCluster starts n gateways, nodes "node1" to "nodeN" of one cluster on
// ns, and waits until each hears the others.
func NewCluster(tb testing.TB, ns *server.Server, n int, opts ...Option) []*Gateway {
	tb.Helper()
	gws := make([]*Gateway, n)
	for i := range gws {
		gws[i] = NewGateway(tb, append(slices.Clone(opts), InCluster(ns.ClientURL(), fmt.Sprintf("node%d", i+1)))...)
	}
	for _, g := range gws {
		Eventually(tb, "every node to hear the others", func() bool {
			return len(g.Cluster().Peers()) == n-1 && g.Cluster().Degraded() == ""
		})
	}
	return gws
}
