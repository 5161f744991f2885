// Package bench generates WebSocket load against a server on loopback and
// measures it: connections established and failed, messages per second,
// round-trip latency in a histogram, errors by kind, and the server's
// resident memory per connection. It also runs the raw gorilla/websocket
// echo server that luagate is compared against. For HTTP endpoints it
// loads a URL with keep-alive clients (http.go) and serves the plain
// net/http handler they are compared against.
//
// Load only ever targets 127.0.0.0/8, and every run is bounded in
// connections and time. The command cmd/luagate-bench drives this package.
//
// bench knows nothing of luagate's packages: it talks to servers only over
// WebSocket and HTTP, so it measures what a client sees.
package bench
