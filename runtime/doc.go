// Package runtime runs live sockets and their scripts: each socket's
// reader and writer, its rate limiter and send queue; the pool of Lua
// states and the compiled scripts of the current revision; and dispatching
// every socket's events in order. It also runs an HTTP endpoint's script
// for a request (request.go), on the caller's goroutine, on a state of the
// same pool within the endpoint's share, counted among the live
// executions that Shutdown waits for. The set of live sockets, and every
// operation on a socket by id, belongs to package hub: runtime registers
// each socket it serves there and closes sockets through their hub entry.
//
// Concurrency design. A socket's events run on its reader goroutine (the
// goroutine Engine.Serve runs on), one after the other, so the events of
// one socket never overlap and need no lock. Anyone may enqueue a frame;
// a full queue is an error to the sender, never a wait. Writing to the
// connection is a role held by one goroutine at a time, marked by the
// socket's writing flag under its mutex: a writer goroutine that runs only
// while there is something to write, or the reader itself, which takes the
// role for a batch or two right after an event instead of starting a
// goroutine per reply. A send to many sockets (hub.Fanout) takes the role
// of each idle recipient as it queues the frame, framed once for all of
// them (a gorilla PreparedMessage), and the hub then starts their writers
// once all are queued, each on a goroutine of its own so that a client
// that stops reading delays no other. The socket's mutex is held only to
// change its queue
// and flags, never while writing or while a script runs. The current
// revision is an atomic pointer swapped whole on deploy. Lua states come
// from a bounded pool and serve one execution at a time; the pool's mutex
// is held to hand a state out and take it back, twice per event, and no
// other lock shared by all sockets is taken per event (BenchmarkPoolGetPut
// measures it contended). The pool gives each endpoint a share of its
// states, keeps a reserve for close events, and hands a state that comes
// back to the next waiting event itself, taking the endpoints in turn
// (pool.go, share.go). A socket's data event that waits
// is dropped if the socket closes meanwhile; its close event still runs
// once.
//
// The watchdog (watchdog.go) looks at the running executions every few
// milliseconds: it stops memory hogs, stops the executions of open and
// data events at shutdown, and tells which ran long.
//
// Endpoint policies (policy.go) are built once per revision. Before
// dispatch, choose picks what runs an event (a --#ROUTE's program or the
// endpoint's script); the reader finds its endpoint's policy again only
// when the revision pointer changed. Idle and age timers are the only
// goroutines policies add, one time.AfterFunc each, armed at open and on
// every deploy and stopped when the reader ends; a socket whose credential
// expires (hub.Auth.ExpiresAt) has one more, armed at open, which closes
// it with hub.CloseTokenExpired.
//
// A --#SECURITY script check (authcheck.go) runs before the upgrade, for
// endpoints, on a pooled state like any event, and its failure is logged
// with its line; it never accepts.
//
// Proxy sockets (proxy.go) are sockets of an endpoint with --#BACKEND. The
// reader writes upstream frames to the backend itself, under proxy.wmu;
// one goroutine per proxy socket, owned by Serve and ended by proxy.end
// after the reader, reads the backend and queues its frames, taking the
// writer role after each as the reader does after an event (relaying), and
// waiting while the queue is full. Filter executions of the two directions
// take turns under proxy.mu, so a socket's events never overlap.
//
// Requests (request.go) wait for their reply on a channel of the socket's
// requests, whose mutex is a leaf held only to change its map; closing the
// socket fails them. A send that waits for its delivery carries a channel
// in its queued message, told when the writer has written it or the socket
// ends without.
//
// Lock order (a lock on the left may be held while taking one on its
// right, never the reverse): proxy.mu → pool.mu → luaapi's deadline.mu.
// proxy.wmu and requests.mu are leaves. The watchdog
// holds pool.mu while it interrupts an execution, which takes the
// execution's deadline lock; the pool's lock also guards what it knows of
// each running execution, so an interrupt never reaches the execution
// after the one it was meant for. watchdog.mu and socket.mu are taken
// with none of those held, and hub's shard locks are leaves. A socket's
// policy timers' functions release socket.mu, which guards the timers,
// before they close the socket.
//
// Session history (sessions.go, history.go). A socket's session is read
// from the hub while it is open; when it ends, Serve hands its closed
// session to the history before the hub forgets the socket. The history
// buffers closed sessions and one goroutine, started by New and stopped by
// Shutdown, writes them to the session.Store every half second and once
// more at shutdown, so a kill loses at most the last second. Its mutex is
// taken with no other lock held and held only to change or copy the
// buffer, never while the store writes. Reading sessions looks at the hub,
// then the buffer, then the store, the order a session moves in, so none is
// missed.
//
// Counters (counters.go). What metrics read is plain atomics: a socket's
// messages and bytes are its own counters, and an event adds to its
// route's record (its result, and its duration in a histogram, timed with
// one clock reading beside the one its deadline takes). A route's record
// lists its sockets being served, from Serve's join to the reader's end,
// when the socket's counts are added to the route's under the record's
// mutex; Engine.Counters reads the open sockets under the same mutex, so
// every message is counted once and no counter goes down. The route
// table's mutex is taken before a record's, and neither with another lock
// held; neither is taken per message.
//
// Script log (scriptlog.go). After an execution, execute adds its record
// to Config.Logs when it printed or its failure was logged (or always,
// with Config.LogExecutions); a silent success costs a nil check. The
// ring's lock is taken with no other lock held.
//
// runtime imports hub, logs, luaapi, scripts, push (the built-in push endpoint,
// deliveries on connect, push.Sockets over the hub) and auth (its scheme
// names); it never imports endpoints or storage. storage implements
// session.Store.
package runtime
