package gateway

import (
	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/runtime"
)

// joinCluster starts this gateway's cluster node when Config.Cluster asks
// for one, and points the hub's and the server's configurations at it:
// socket ids name the node, sockets elsewhere are reached through it, and
// deploys and API keys are shared, and the session history reads every
// node's. Without a cluster it changes nothing.
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
	sc.Solutions, sc.Keys, sc.Degraded = node.Solutions(), node.Keys(), node.Degraded
	if rc.Sessions == nil {
		rc.Sessions = node.Sessions(g.store)
	}
	return nil
}

// startCluster attaches the node to the assembled engine and server.
func (g *Gateway) startCluster() error {
	if g.node == nil {
		return nil
	}
	return g.node.Start(g.engine.Hub(), g.store, g.server)
}

// Cluster is the gateway's cluster node, nil when it is not in one.
func (g *Gateway) Cluster() *cluster.Node { return g.node }
