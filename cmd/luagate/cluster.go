package main

import (
	"flag"

	"github.com/luagate/luagate/cluster"
)

// clusterFlags declares serve's cluster flags into c.
func clusterFlags(fs *flag.FlagSet, c *cluster.Config) {
	fs.StringVar(&c.URLs, "cluster", "", "join a cluster through these NATS servers (nats://h1:4222,nats://h2:4222; JetStream enabled); with --nats-embedded, empty means the embedded server")
	fs.StringVar(&c.Name, "cluster-name", cluster.DefaultName, "namespace of the cluster's NATS subjects and buckets, so that several solutions can share one NATS")
	fs.StringVar(&c.NodeID, "node-id", "", "this node's id, which every socket id it makes starts with; empty means the one generated once and kept in <data-dir>/node-id")
	fs.DurationVar(&c.Timeout, "cluster-timeout", cluster.DefaultTimeout, "longest wait for another node's answer")
	fs.BoolVar(&c.Embedded, "nats-embedded", false, "run a NATS server with JetStream (data under <data-dir>/nats) in this process and join the cluster through it")
	fs.StringVar(&c.Listen, "nats-listen", "", "with --nats-embedded: the NATS client address; empty means 127.0.0.1:4222")
	fs.StringVar(&c.ClusterListen, "nats-cluster-listen", "", "with --nats-embedded: the address other nodes' NATS servers route to (host:port)")
	fs.StringVar(&c.Routes, "nats-routes", "", "with --nats-embedded: the other nodes' NATS route URLs, comma separated (nats://h2:6222,nats://h3:6222)")
}
