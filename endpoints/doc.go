// Package endpoints is luagate's HTTP surface: the live route table of
// WebSocket endpoints (an httprouter rebuilt and swapped whole on every
// change), the WebSocket upgrade, the management API under /api/v1/solution
// and its health check.
//
// What one HTTP request may make the server hold is bounded here too: the
// size of its headers and of those a socket keeps, its time, and the number
// of connections that are not sockets (httplimits.go).
//
// A deploy runs here in one direction: parse and compile (scripts), one
// transaction (storage), swap the revision (runtime), swap the routes. A
// failure before the transaction changes nothing.
//
// endpoints imports runtime, scripts and storage; nothing imports it but
// cmd/luagate.
package endpoints
