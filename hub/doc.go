// Package hub owns the set of live sockets: the connection record of each,
// socket ids, the close codes and reasons, and the operations scripts and
// operators perform on sockets by id (send, close, info, list, close all).
// It implements luaapi.Sockets, and runtime hands it every socket it
// serves.
//
// A socket is held through the Socket interface: what the hub needs a live
// connection to do (queue a frame, start closing with a reason, be cut off,
// count its traffic). runtime's WebSocket connection is one implementation;
// the hub's own tests use a fake. A socket that is not on this process is
// reached through a Broker; LocalBroker, for a single process, knows none.
//
// Concurrency design. The registry is a fixed set of shards, each a map
// under its own mutex, chosen by a hash of the socket id. A shard lock is
// held only for a map operation: never while a socket queues or writes a
// frame, never while a script runs, and never while another shard's lock is
// held. Indexes by another key (a user, a session name, a group) belong in
// the shard of that key, under the same rule. Operations on one socket take
// the entry from its shard, release the lock, then act on the entry.
//
// Consistency. Closing a socket through the hub (Close, Disconnect,
// CloseAll, DisconnectAll, or Entry.Close from runtime) marks its entry
// closed before the call returns; from then on Info and Socket answer
// ErrUnknownSocket for it and List and Sockets leave it out, although the
// entry stays registered until its close event has run and runtime calls
// Entry.Unregister.
//
// Lock order, across the packages a socket's life spans (a lock on the left
// may be held while taking one on its right, never the reverse):
//
//	runtime pool.mu → luaapi deadline.mu
//	runtime socket.mu (independent of those; taken with none held)
//	hub shard.mu (a leaf: nothing is taken while it is held)
//
// hub imports luaapi for the interface it implements and the errors scripts
// see; it never imports runtime, endpoints or storage.
package hub
