// Package metrics makes what the runtime counts visible: Prometheus
// collectors under the luagate_ prefix, the record of deploys, and the
// sampler behind the console's stats (a sample a second, the last ten
// minutes).
//
// The runtime keeps its counters as plain atomics on each socket and each
// route (runtime.Engine.Counters); this package reads them when it is
// scraped or samples, and nothing on the message path calls into it. The
// HTTP surface (endpoints) records deploys here and serves the handler and
// the stats; gateway owns the sampler's goroutine, started by Start and
// stopped by Stop.
//
// Push's families read push.Service.Counts at each scrape: atomics the
// service adds to once per commit, and the store's count of PENDING
// messages.
//
// metrics imports runtime, push, luaapi (the names of the relay's
// directions) and wire; it never imports endpoints or gateway.
package metrics
