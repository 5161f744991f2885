// Package scripts is the solution model of luagate: endpoints (a path
// pattern plus a Lua script), shared modules and the optional custom event
// handler, together a Solution. It parses path patterns and the
// "--#ENDPOINT" header format and the policy lines that may follow it
// (policy.go: routes, rate limits, timeouts, subprotocols), with the
// solution's Config of named rate policies and defaults (a project's
// services/websocket.yaml), and compiles every script once so that a
// deploy is checked, with file and line, before anything changes. The limits
// every solution is held to (limits.go) keep that check's time and memory
// proportional to the solution's size. It reads
// and writes project directories (endpoints/, modules/, services/), reports
// their problems as project file and line, diffs two solutions, and watches
// a project for changes.
//
// scripts knows nothing of sockets, storage or serving HTTP, and imports no
// other luagate package. It does use httprouter, the router endpoints serves
// paths with, to find conflicting patterns: the router's own rules are the
// only ones that cannot drift from what it will accept.
package scripts
