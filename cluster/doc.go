// Package cluster runs several luagate nodes as one over NATS: a socket on
// any node is reachable from every node, and the solution, the API keys,
// the push tokens and the push messages are shared.
//
// A Node implements hub.Broker. Socket ids name their node (hub.NodeOf),
// so an operation on an id this node does not hold is a core NATS request
// to that node's subject. Sends to one node share a queue (batch.go): one
// batch on its way at a time, so they keep their order. A send whose
// result no script reads (Post, post.go) joins that queue without waiting
// for its answer, up to Config.MaxPosted; the node's other operations on
// that node's sockets wait for the posted sends queued before them.
// Users, session names, routes and groups have a
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
// bbolt copy and applying every new revision it sees), the API keys and
// the push tokens (mirrored into each node's bbolt, so that a lookup
// costs no network and a node that starts without NATS still knows them),
// and the push messages (in their bucket only: push.MessageStore, every
// status change a compare-and-set on the message's revision). A push
// socket's connect claims the PENDING messages it delivers with a lease
// (ClaimLease) that lapses early when the claiming node is gone, so one
// node writes each, and a killed node's claims come back to the others.
// Push frames for a socket on another node go through a few ordered
// queues, one per socket's hash, each drained by a goroutine that waits
// for the holder to write the frame, so that push learns when to mark it.
//
// Script logs and closed sessions stay on their node; their listings ask
// every live node (sessions.go, logs.go).
//
// Goroutines: the heartbeat, the interest reconciler, one goroutine per
// key-value watch, the push writers and a queue's drainer while sends to a
// node wait in it, all owned by the Node and stopped
// by Shutdown. NATS callbacks run on the connection's own goroutines and
// never block on the hub: every hub operation they call returns at once.
//
// Lock order: a hub shard lock may be held while the interest's mutex is
// taken (hub.Config.OnKey marks a key), never the reverse; no lock of this
// package is held while it calls the hub, NATS or endpoints, but for the
// interest's mutex around a subscribe, which calls back into nothing, and
// the key and token mirrors' mutexes around a bbolt write. A deploy holds
// endpoints' deploy lock while it calls replica.Save; the solution watch
// calls endpoints.Server.Replace, which takes that lock, holding none of
// its own. Push calls the message store holding a recipient's stripe
// (push's lock), which this package never takes.
//
// cluster imports hub, scripts, auth, storage, push, logs, session and
// endpoints (for the interfaces it implements); nothing but gateway
// imports cluster.
package cluster
