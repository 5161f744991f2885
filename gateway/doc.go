// Package gateway assembles a luagate server from its parts and runs it:
// the store, the hub and engine, the HTTP server, the listeners, the
// optional project watch, and the order in which they stop. The command
// line, the tests and the load tool all start luagate through it, so what
// the binary does is what a test of this package sees.
//
// Startup: data dir, admin token (given, kept, or generated), store,
// engine, server (which loads the stored solution), the project deploy,
// listeners. Shutdown: the watch stops, health answers 503 and upgrades are
// refused, every socket is closed and its close event run, the HTTP servers
// stop, the store closes.
//
// gateway imports endpoints, runtime, hub, push, scripts and storage; only
// commands and tests import it.
package gateway
