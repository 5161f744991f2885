// Package hub owns the set of live sockets: the connection record of each,
// socket ids, the close codes and reasons, and the operations scripts and
// operators perform on sockets by id (send, close, info, list, close all)
// and by user, session name, route or group (send, close, list, presence).
// It implements luaapi.Sockets and luaapi.Poster, and runtime hands it
// every socket it serves.
//
// A socket is held through the Socket interface: what the hub needs a live
// connection to do (queue a frame, start closing with a reason, be cut off,
// count its traffic). runtime's WebSocket connection is one implementation;
// the hub's own tests use a fake. A socket that is not on this process is
// reached through a Broker; LocalBroker, for a single process, knows none.
// A Socket may also be a Requester (runtime's are), which Request and
// SendWait reach by id: a client's reply to a request, or a frame's
// delivery, waited for; the Broker has the same two operations for a
// socket on another process.
//
// In a cluster, socket ids start with the node's id (Config.Node, NodeOf),
// the Local variants of the operations (LocalSendTo, LocalList, ...) are
// what a node answers for the others, and Config.OnKey tells the broker
// when a user, session name, route or group gains its first socket here
// or loses its last. The hub never holds a lock while it calls the
// broker, which may wait on the network.
//
// Concurrency design. The registry is a fixed set of shards, each a map
// under its own mutex, chosen by a hash of the socket id. A shard lock is
// held only for a map operation: never while a socket queues or writes a
// frame, never while a script runs, and never while another shard's lock is
// held. The indexes by another key (a user, a session name, a route, a
// group) live in the shard of that key, under the same rule: a send to a
// user or a group copies that key's entries out under the shard's read
// lock, releases it, then queues the frame to each, so it costs O(those
// sockets), never O(all sockets). The frame is one Fanout, which a socket
// that can share it (FanoutSocket) queues without a copy and whose idle
// writers the hub wakes together after the last (fanout.go). Operations on one socket take the entry
// from its shard, release the lock, then act on the entry. A socket's
// groups are kept on its entry too, under the entry's own mutex, which
// Join, Leave and Unregister hold while they change the group's shard, so
// the two always agree. Unregister leaves every group before it returns,
// and runtime runs the close event after it.
//
// Consistency. Closing a socket through the hub (Close, Disconnect,
// CloseAll, DisconnectAll, or Entry.Close from runtime) marks its entry
// closed before the call returns; from then on Info and Socket answer
// ErrUnknownSocket for it and List and Sockets leave it out, although the
// entry stays registered until runtime calls Entry.Unregister, just before
// its close event. Sends, lists and presence by user, name or group leave
// a closed entry out likewise, although it is in the indexes until then.
//
// Lock order, across the packages a socket's life spans (a lock on the left
// may be held while taking one on its right, never the reverse):
//
//	runtime pool.mu → luaapi deadline.mu
//	runtime socket.mu (independent of those; taken with none held)
//	hub Entry.mu → hub shard.mu (a leaf: nothing is taken while it is held)
//
// hub imports luaapi for the interface it implements and the errors scripts
// see; it never imports runtime, endpoints or storage.
package hub
