package runtime

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/session"
)

// What the engine counts for metrics. The message path adds to plain
// atomics only: a socket's messages and bytes are its own counters (the
// ones its session reports), and an event adds to its route's record. A
// scrape folds them together (Engine.Counters); nothing on the message path
// calls into a metrics library.

// EventTypes names the event types, in the order of RouteCounters.Events.
var EventTypes = [...]string{openEvent: luaapi.EventOpen, dataEvent: luaapi.EventData, closeEvent: luaapi.EventClose}

// EventResult is how an execution ended.
type EventResult uint8

// Event results, in the order of EventResults.
const (
	ResultOK EventResult = iota
	ResultError
	ResultTimeout
	ResultMemory
	eventResults
)

// EventResults names the event results.
var EventResults = [eventResults]string{"ok", "error", "timeout", "memory"}

func resultOf(err error) EventResult {
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, luaapi.ErrTimeout):
		return ResultTimeout
	case errors.Is(err, ErrMemoryLimit):
		return ResultMemory
	}
	return ResultError
}

// UpgradeResult is how an upgrade request ended.
type UpgradeResult uint8

// Upgrade results, in the order of UpgradeResults.
const (
	UpgradeOK UpgradeResult = iota
	UpgradeUnauthorized
	UpgradeForbidden
	UpgradeLimited
	UpgradeBadRequest
	// UpgradeError is a failure on the server's side, such as a script
	// check that raised.
	UpgradeError
	upgradeResults
)

// UpgradeResults names the upgrade results.
var UpgradeResults = [upgradeResults]string{"ok", "unauthorized", "forbidden", "limited", "bad_request", "error"}

// DurationBuckets are the upper bounds, in seconds, of the script duration
// histogram: from 100 µs to past the default script timeout.
var DurationBuckets = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// bucketBounds are DurationBuckets as durations, for the message path.
var bucketBounds = func() (out [len(DurationBuckets)]time.Duration) {
	for i, b := range DurationBuckets {
		out[i] = time.Duration(b * float64(time.Second))
	}
	return out
}()

// Histogram is a snapshot of script durations.
type Histogram struct {
	// Buckets counts the executions of at most each of DurationBuckets,
	// not cumulatively; the last entry counts those above all of them.
	Buckets []uint64
	Count   uint64
	Sum     time.Duration
}

type histogram struct {
	buckets [len(DurationBuckets) + 1]atomic.Uint64
	sum     atomic.Int64 // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(bucketBounds) && d > bucketBounds[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sum.Add(int64(d))
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Buckets: make([]uint64, len(h.buckets)), Sum: time.Duration(h.sum.Load())}
	for i := range h.buckets {
		out.Buckets[i] = h.buckets[i].Load()
		out.Count += out.Buckets[i]
	}
	return out
}

// RouteCounters is what the engine counted for one endpoint (its declared
// pattern) since the process started. An endpoint a deploy removed is
// forgotten once its last socket has ended.
type RouteCounters struct {
	Route       string
	SocketsOpen int
	// Messages and bytes of data messages, each way, of the sockets open
	// now and of those closed.
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64
	// Backend counts the frames and bytes the route's proxy sockets
	// relayed to and from their backends, open and closed; nil for a
	// route that has had no proxy socket.
	Backend *session.Backend
	// Upgrades by UpgradeResult.
	Upgrades [upgradeResults]uint64
	// Events by event type (EventTypes) and EventResult.
	Events [len(EventTypes)][eventResults]uint64
	// Durations of the executions by event type.
	Durations [len(EventTypes)]Histogram
	// RateLimited counts the messages over the endpoint's rate limit;
	// SendQueueFull the sends refused because a socket's queue was full.
	RateLimited, SendQueueFull uint64
	// Closes counts closed sockets by close code.
	Closes map[int]uint64
}

// Counters is a snapshot of everything the engine counts.
type Counters struct {
	// Routes are sorted by route.
	Routes []RouteCounters
	// StatesIdle and StatesBusy are the Lua states kept idle and those
	// running an execution.
	StatesIdle, StatesBusy int
}

// routeStats is a route's record. Its atomics are added to by the message
// path; mu guards the rest, taken when a socket joins or leaves and by a
// snapshot, never per message.
type routeStats struct {
	route                  string
	upgrades               [upgradeResults]atomic.Uint64
	events                 [len(EventTypes)][eventResults]atomic.Uint64
	durations              [len(EventTypes)]histogram
	rateLimited, queueFull atomic.Uint64

	mu sync.Mutex
	// live holds the sockets being served: their counters are read at a
	// snapshot, and added to closed when they leave, under mu, so that a
	// snapshot counts each message once. closed.Backend stays nil until a
	// proxy socket has left.
	live   map[*socket]struct{}
	closed hub.Stats
	closes map[int]uint64
}

// routeTable holds the records of the routes counted so far.
type routeTable struct {
	mu     sync.Mutex // guards routes; taken before a record's mu
	routes map[string]*routeStats
}

// get returns route's record, making it if needed. t.mu must be held.
func (t *routeTable) getLocked(route string) *routeStats {
	r := t.routes[route]
	if r == nil {
		if t.routes == nil {
			t.routes = map[string]*routeStats{}
		}
		r = &routeStats{route: route, live: map[*socket]struct{}{}, closes: map[int]uint64{}}
		t.routes[route] = r
	}
	return r
}

func (t *routeTable) get(route string) *routeStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.getLocked(route)
}

// join counts s among route's sockets and returns the route's record.
func (t *routeTable) join(route string, s *socket) *routeStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.getLocked(route)
	r.mu.Lock()
	r.live[s] = struct{}{}
	r.mu.Unlock()
	return r
}

// prune forgets the routes c has not, once they have no socket: their
// counters end with them, and cardinality stays bounded by the solution.
// Load calls it; the end of a socket whose route is gone calls forget.
func (t *routeTable) prune(c *scripts.Compiled) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for route := range t.routes {
		t.forgetLocked(c, route)
	}
}

// forget forgets route if c has not it and it has no socket.
func (t *routeTable) forget(c *scripts.Compiled, route string) {
	if _, ok := c.Endpoint(route); ok {
		return // the common case, without the table's lock
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgetLocked(c, route)
}

// forgetLocked is forget; t.mu must be held.
func (t *routeTable) forgetLocked(c *scripts.Compiled, route string) {
	r := t.routes[route]
	if _, ok := c.Endpoint(route); ok || r == nil {
		return
	}
	r.mu.Lock()
	empty := len(r.live) == 0
	r.mu.Unlock()
	if empty {
		delete(t.routes, route)
	}
}

// leave adds the counters of s, which has ended for reason, to its route's
// and stops counting it as open.
func (r *routeStats) leave(s *socket, reason hub.CloseReason) {
	st := s.Stats()
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.live, s)
	r.closed.MessagesIn += st.MessagesIn
	r.closed.MessagesOut += st.MessagesOut
	r.closed.BytesIn += st.BytesIn
	r.closed.BytesOut += st.BytesOut
	if st.Backend != nil {
		if r.closed.Backend == nil {
			r.closed.Backend = &session.Backend{}
		}
		addBackend(r.closed.Backend, st.Backend)
	}
	r.closes[reason.Code]++
}

// addBackend adds the relay counts b to sum.
func addBackend(sum, b *session.Backend) {
	sum.FramesUp += b.FramesUp
	sum.FramesDown += b.FramesDown
	sum.BytesUp += b.BytesUp
	sum.BytesDown += b.BytesDown
}

// executed counts an execution of an event of kind that took d and ended
// with err.
func (r *routeStats) executed(kind eventKind, d time.Duration, err error) {
	r.events[kind][resultOf(err)].Add(1)
	r.durations[kind].observe(d)
}

func (r *routeStats) snapshot() RouteCounters {
	out := RouteCounters{Route: r.route, RateLimited: r.rateLimited.Load(), SendQueueFull: r.queueFull.Load()}
	for i := range r.upgrades {
		out.Upgrades[i] = r.upgrades[i].Load()
	}
	for k := range r.events {
		for res := range r.events[k] {
			out.Events[k][res] = r.events[k][res].Load()
		}
		out.Durations[k] = r.durations[k].snapshot()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out.SocketsOpen = len(r.live)
	out.MessagesIn, out.MessagesOut, out.BytesIn, out.BytesOut = r.closed.MessagesIn, r.closed.MessagesOut, r.closed.BytesIn, r.closed.BytesOut
	if r.closed.Backend != nil {
		b := *r.closed.Backend
		out.Backend = &b
	}
	for s := range r.live {
		st := s.Stats()
		out.MessagesIn += st.MessagesIn
		out.MessagesOut += st.MessagesOut
		out.BytesIn += st.BytesIn
		out.BytesOut += st.BytesOut
		if st.Backend != nil {
			if out.Backend == nil {
				out.Backend = &session.Backend{}
			}
			addBackend(out.Backend, st.Backend)
		}
	}
	out.Closes = make(map[int]uint64, len(r.closes))
	for code, n := range r.closes {
		out.Closes[code] = n
	}
	return out
}

// CountUpgrade counts an upgrade request to route that ended with result.
// The HTTP surface calls it once per upgrade request.
func (e *Engine) CountUpgrade(route string, result UpgradeResult) {
	e.routes.get(route).upgrades[result].Add(1)
}

// Counters returns what the engine has counted, for metrics. It costs a
// look at every open socket, and holds no lock the message path takes.
func (e *Engine) Counters() Counters {
	e.routes.mu.Lock()
	records := make([]*routeStats, 0, len(e.routes.routes))
	for _, r := range e.routes.routes {
		records = append(records, r)
	}
	e.routes.mu.Unlock()
	slices.SortFunc(records, func(a, b *routeStats) int { return strings.Compare(a.route, b.route) })
	out := Counters{Routes: make([]RouteCounters, len(records))}
	for i, r := range records {
		out.Routes[i] = r.snapshot()
	}
	out.StatesIdle, out.StatesBusy = e.pool.states()
	return out
}
