package gateway

import (
	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/runtime"
)

// joinCluster starts this gateway's cluster node when Config.Cluster asks
// for one, and points the hub's and the server's configurations at it:
// socket ids name the node, sockets elsewhere are reached through it, and
// deploys and API keys are shared, and the session history reads every
// node's, as does the script log's listing. Without a cluster it changes
// nothing.
func (g *Gateway) joinCluster(hc *hub.Config, rc *runtime.Config, sc *endpoints.Config) error {
	if !g.cfg.Cluster.Enabled() {
		return nil
	}
	cc := g.cfg.Cluster
	cc.DataDir, cc.Logger = g.cfg.DataDir, g.cfg.Logger
	node, err := cluster.New(cc)
	if err != nil {
		return err
	}
	g.node = node
	hc.Broker, hc.Node, hc.OnKey = node, node.ID(), node.KeyChanged
	sc.Solutions, sc.Keys, sc.Degraded, sc.ListLogs = node.Solutions(), node.Keys(), node.Degraded, node.Logs
	if rc.Sessions == nil {
		rc.Sessions = node.Sessions(g.store)
	}
	return nil
}

// pushStores points pc at where push keeps its records and finds its
// sockets: this gateway's bbolt store and h's sockets, or in a cluster
// the shared buckets and every node's sockets.
func (g *Gateway) pushStores(pc *push.Config, h *hub.Hub) {
	local := runtime.PushSockets(h)
	if g.node == nil {
		pc.Messages, pc.Tokens, pc.Sockets = g.store, g.store, local
		return
	}
	pc.Messages, pc.Tokens, pc.Sockets = g.node.PushMessages(), g.node.PushTokens(), g.node.PushSockets(local)
}

// startCluster attaches the node to the assembled engine and server.
func (g *Gateway) startCluster() error {
	if g.node == nil {
		return nil
	}
	g.node.ServeLogs(g.logs)
	return g.node.Start(g.engine.Hub(), g.store, g.server)
}

// Cluster is the gateway's cluster node, nil when it is not in one.
func (g *Gateway) Cluster() *cluster.Node { return g.node }
