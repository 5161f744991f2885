// Package runtime owns live sockets and script execution: each socket's
// reader and writer, its rate limiter and send queue; the registry of live
// sockets; the pool of Lua states and the compiled scripts of the current
// revision; and dispatching every socket's events in order.
//
// Concurrency design. A socket's events run on its reader goroutine (the
// HTTP handler goroutine that upgraded it), one after the other, so the
// events of one socket never overlap and need no lock. Only the socket's
// writer writes to its connection, draining a bounded queue; anyone may
// enqueue, and a full queue is an error to the sender, never a wait. The
// writer is a role held by one goroutine at a time: a writer goroutine
// that runs only while there is something to write, or the reader itself,
// for a batch or two right after an event. The registry is a fixed set of shards, each a map under its own
// mutex, held only to add, remove or look up a socket: never while a script
// runs or a socket writes. The current revision is an atomic pointer swapped
// whole on deploy. Lua states come from a bounded pool and serve one
// execution at a time.
//
// runtime imports luaapi and scripts; it never imports endpoints or storage.
package runtime
