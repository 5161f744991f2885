// Package endpoints is luagate's HTTP surface: the live route table of
// WebSocket and HTTP endpoints (an httprouter rebuilt and swapped whole on
// every change; routes.go), the WebSocket upgrade, which fills a hub.Conn
// and hands the connection to runtime, an HTTP endpoint's request (CORS,
// the rate limit per client address, authentication, the body, then the
// script through runtime and its answer; httpendpoint.go, cors.go,
// clientlimit.go), the management API under wire.Prefix and its
// health check, and the paths luagate reserves for itself. The management
// API and the endpoints can be served together (Server.ServeHTTP) or on
// listeners of their own (PublicHandler, AdminHandler).
//
// What one HTTP request may make the server hold is bounded here too: the
// size of its headers and of those a socket keeps, its time, and the number
// of connections that are not sockets (httplimits.go).
//
// An upgrade, or an HTTP endpoint's request, is authenticated here, before
// a connection place, a socket, an event or a script run exists (authn.go): the endpoint's --#SECURITY scheme, or the
// server's default, is checked by auth (API keys, JWT) or by the runtime
// (a script check), and the identity goes into the hub.Conn. The client's
// address is found through trusted proxies (remoteaddr.go). Management
// routes each name the API key scope they need; the admin token has all.
//
// A deploy runs here in one direction: parse and compile (scripts), one
// transaction (storage), swap the revision (runtime), swap the routes. A
// failure before the transaction changes nothing. Each deploy, accepted or
// refused, adds a record to the script log (deploylog.go), which GET /logs
// lists and follows as Server-Sent Events (logs.go). The web console's
// files (console) are served wherever the management API is.
//
// endpoints imports auth, console, logs, metrics, runtime, hub, push,
// scripts, storage and wire; it never imports luaapi. Only gateway and
// tests import it.
package endpoints
