package cluster_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

func TestANodeKilledLosesOnlyItsSockets(t *testing.T) {
	gws := newCluster(t)
	c := gws[0].Dial("/c?user=a")
	near := gws[1].Dial("/c?user=b")
	nearID := gws[1].SocketIDs(1)[0]
	gws[2].Dial("/c?user=c")
	farID := gws[2].SocketIDs(1)[0]
	if got := c.Ask("list"); got != "list 3" {
		t.Fatalf("list: %q", got)
	}

	gws[2].Cluster().Kill()
	gws[2].Hub().DropAll()
	start := time.Now()
	lgtesting.Eventually(t, "node3's socket to be unlisted", func() bool { return c.Ask("list") == "list 2" })
	if took := time.Since(start); took > 2*cluster.NodeTimeout {
		t.Errorf("node3's sockets were listed for %s after it died", took)
	}
	if got := c.Ask("send socket_id " + farID + " x"); got != "sent error 404 NotFoundError" {
		t.Fatalf("send to a dead node's socket: %q", got)
	}
	if got := c.Ask("send socket_id " + nearID + " still"); got != "sent nil" {
		t.Fatalf("send to a live node's socket: %q", got)
	}
	near.Expect("still")
	lgtesting.Eventually(t, "node3 to be gone from the membership", func() bool {
		return len(gws[0].Cluster().Peers()) == 1 && len(gws[1].Cluster().Peers()) == 1
	})
	if status, body := gws[0].PutSolution(echo("after")); status != http.StatusOK {
		t.Fatalf("deploy with a node dead: %d %s", status, body)
	}
}

// restartableNATS is a NATS server that a test stops and starts again on
// the same port and data.
type restartableNATS struct {
	t    *testing.T
	ns   *server.Server
	addr string
	dir  string
}

func newRestartableNATS(t *testing.T) *restartableNATS {
	r := &restartableNATS{t: t, addr: "127.0.0.1:-1", dir: filepath.Join(t.TempDir(), "nats")}
	r.start()
	r.addr = r.ns.Addr().String()
	t.Cleanup(r.stop)
	return r
}

func (r *restartableNATS) start() {
	ns, err := cluster.StartEmbedded(cluster.Embedded{Name: "test", Listen: r.addr, StoreDir: r.dir})
	if err != nil {
		r.t.Fatal(err)
	}
	r.ns = ns
}

func (r *restartableNATS) stop() {
	r.ns.Shutdown()
	r.ns.WaitForShutdown()
}

func TestWithoutNATSLocalSocketsWorkAndTheRestFailsFast(t *testing.T) {
	nats := newRestartableNATS(t)
	gws := lgtesting.NewCluster(t, nats.ns, 2, lgtesting.NoRateLimit)
	if status, body := gws[0].PutSolution(opsSolution); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	lgtesting.Eventually(t, "node2 to run it", func() bool { return len(gws[1].Server().Serving().Endpoints) == 1 })
	a := gws[0].Dial("/c?user=a")
	b := gws[0].Dial("/c?user=b")
	ids := gws[0].SocketIDs(2)
	gws[1].Dial("/c?user=far")
	farID := gws[1].SocketIDs(1)[0]

	nats.stop()
	lgtesting.Eventually(t, "node1 to see NATS gone", func() bool { return gws[0].Cluster().Degraded() != "" })
	status, body := gws[0].API(http.MethodGet, wire.HealthPath, "")
	if status != http.StatusOK || !strings.HasPrefix(body, "degraded: cluster unavailable") {
		t.Fatalf("health: %d %q", status, body)
	}
	for _, id := range ids {
		a.Send("send socket_id " + id + " local")
	}
	// a gets its copy and its two answers, in some order; b its copy.
	got := map[string]int{}
	for range 3 {
		got[a.Next()]++
	}
	if got["local"] != 1 || got["sent nil"] != 2 {
		t.Fatalf("local sends: %v", got)
	}
	b.Expect("local")
	if got := a.Ask("send socket_id " + farID + " x"); got != "sent error 503 ClusterUnavailableError" {
		t.Fatalf("cross-node send without NATS: %q", got)
	}
	if status, body := gws[0].PutSolution(echo("offline")); status != http.StatusServiceUnavailable || !strings.Contains(body, "ClusterUnavailableError") {
		t.Fatalf("deploy without NATS: %d %s", status, body)
	}
	if gws[0].Engine().Solution().Endpoints[0].Path != "/c" {
		t.Fatal("a refused deploy changed the solution")
	}

	nats.start()
	lgtesting.Eventually(t, "the cluster to come back", func() bool {
		return gws[0].Cluster().Degraded() == "" && gws[1].Cluster().Degraded() == "" && len(gws[0].Cluster().Peers()) == 1
	})
	if got := a.Ask("send socket_id " + farID + " back"); got != "sent nil" {
		t.Fatalf("cross-node send after NATS returned: %q", got)
	}
}

func TestANodeStartingWithoutNATSServesItsLastRevisionAndCatchesUp(t *testing.T) {
	nats := newRestartableNATS(t)
	gws := lgtesting.NewCluster(t, nats.ns, 2, lgtesting.NoRateLimit)
	if status, body := gws[0].PutSolution(opsSolution); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	lgtesting.Eventually(t, "node2 to run it", func() bool { return len(gws[1].Server().Serving().Endpoints) == 1 })
	gws[1].Stop()
	nats.stop()

	g := lgtesting.StartGateway(t, gws[1].Dir, lgtesting.NoRateLimit, lgtesting.InCluster("nats://"+nats.addr, "node2"))
	if got := g.Dial("/c?user=x").Ask("ping"); got != "pong" {
		t.Fatalf("offline node answers %q", got)
	}
	if g.Cluster().Degraded() == "" {
		t.Fatal("a node without NATS is not degraded")
	}

	nats.start()
	lgtesting.Eventually(t, "both nodes ready", func() bool {
		return gws[0].Cluster().Degraded() == "" && g.Cluster().Degraded() == ""
	})
	if status, body := gws[0].PutSolution(echo("caught-up")); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	lgtesting.Eventually(t, "the restarted node to catch up", func() bool {
		status, _ := lgtesting.Request(t, "", http.MethodGet, g.URL("/e"), "")
		return status != http.StatusNotFound
	})
}
