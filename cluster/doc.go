// Package cluster runs several luagate nodes as one over NATS: a socket on
// any node is reachable from every node, and the solution and the API keys
// are shared.
//
// A Node implements hub.Broker. Socket ids name their node (hub.NodeOf),
// so an operation on an id this node does not hold is a core NATS request
// to that node's subject. Users, session names, routes and groups have a
// subject each, which a node subscribes to only while it holds one of
// their sockets (hub.Config.OnKey tells it when); which nodes do is kept in
// a JetStream key-value bucket every node watches, so a send to a group
// is one publish that reaches exactly the nodes with members, and the
// sender knows how many answers to wait for. Nodes announce themselves by
// heartbeat; one not heard from for NodeTimeout is gone, and its sockets
// with it.
//
// What must outlive a node lives in JetStream: the solution (one key,
// changed with a compare-and-set on its revision, each node keeping its
// bbolt copy and applying every new revision it sees) and the API keys
// (mirrored into each node's bbolt, so a node that starts without NATS
// still knows them).
//
// Goroutines: the heartbeat, the interest reconciler and one goroutine
// per key-value watch, all owned by the Node and stopped by Shutdown. NATS
// callbacks run on the connection's own goroutines and never block on the
// hub: every hub operation they call returns at once.
//
// Lock order: a hub shard lock may be held while the interest's mutex is
// taken (hub.Config.OnKey marks a key), never the reverse; no lock of this
// package is held while it calls the hub, NATS or endpoints, but for the
// interest's mutex around a subscribe, which calls back into nothing.
// A deploy holds endpoints' deploy lock while it calls replica.Save; the
// solution watch calls endpoints.Server.Replace, which takes that lock,
// holding none of its own.
//
// Push (its message and token stores) is not here yet: it is to follow
// the keys' pattern, a bucket or stream beside the others opened in
// openBuckets, behind the store interface push declares.
//
// cluster imports hub, scripts, auth, storage and endpoints (for the
// interfaces it implements); nothing but gateway imports cluster.
package cluster
