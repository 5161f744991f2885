package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/runtime"
)

// collector turns a snapshot of the runtime's counters into metrics at
// each scrape, so that counting costs the message path nothing but its
// atomics.
type collector struct {
	counters func() runtime.Counters
	deploys  *Deploys
	// push reads push's counts; nil without push, whose families are
	// then absent.
	push func() (push.Counts, error)

	socketsOpen, upgrades, events, durations   *prometheus.Desc
	messagesIn, messagesOut, bytesIn, bytesOut *prometheus.Desc
	rateLimited, queueFull, closes             *prometheus.Desc
	deploysTotal, revision, luaStates          *prometheus.Desc
	backendFrames, backendBytes                *prometheus.Desc
	pushMessages, pushPending                  *prometheus.Desc
}

func newCollector(counters func() runtime.Counters, deploys *Deploys, pushCounts func() (push.Counts, error)) *collector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("luagate_"+name, help, labels, nil)
	}
	return &collector{
		counters:     counters,
		deploys:      deploys,
		push:         pushCounts,
		socketsOpen:  desc("sockets_open", "Sockets open, by endpoint.", "route"),
		upgrades:     desc("upgrades_total", "WebSocket upgrade requests, by endpoint and result.", "route", "result"),
		events:       desc("events_total", "Script executions, by endpoint, event type and result.", "route", "type", "result"),
		durations:    desc("script_duration_seconds", "How long script executions ran, by endpoint and event type.", "route", "type"),
		messagesIn:   desc("messages_in_total", "Data messages received from clients, by endpoint.", "route"),
		messagesOut:  desc("messages_out_total", "Data messages written to clients, by endpoint.", "route"),
		bytesIn:      desc("bytes_in_total", "Payload bytes of the data messages received, by endpoint.", "route"),
		bytesOut:     desc("bytes_out_total", "Payload bytes of the data messages written, by endpoint.", "route"),
		rateLimited:  desc("rate_limited_total", "Messages over their endpoint's rate limit, by endpoint.", "route"),
		queueFull:    desc("send_queue_full_total", "Sends refused because the socket's send queue was full, by the socket's endpoint.", "route"),
		closes:       desc("closes_total", "Sockets closed, by endpoint and close code.", "route", "code"),
		deploysTotal: desc("deploys_total", "Changes to the solution, by result.", "result"),
		revision:     desc("solution_revision", "The stored revision of the running solution."),
		luaStates:    desc("lua_states", "Lua states, idle or running an execution.", "state"),
		backendFrames: desc("backend_frames_total",
			"Frames proxy sockets relayed, by endpoint and direction (upstream: written to the backend; downstream: read from it).", "route", "direction"),
		backendBytes: desc("backend_bytes_total", "Payload bytes of the frames proxy sockets relayed, by endpoint and direction.", "route", "direction"),
		pushMessages: desc("push_messages_total", "Push messages that reached each status, by status.", "status"),
		pushPending:  desc("push_pending", "Push messages PENDING in the store."),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.socketsOpen, c.upgrades, c.events, c.durations, c.messagesIn, c.messagesOut,
		c.bytesIn, c.bytesOut, c.rateLimited, c.queueFull, c.closes, c.deploysTotal, c.revision, c.luaStates,
		c.backendFrames, c.backendBytes, c.pushMessages, c.pushPending} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	snap := c.counters()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, r := range snap.Routes {
		ch <- prometheus.MustNewConstMetric(c.socketsOpen, prometheus.GaugeValue, float64(r.SocketsOpen), r.Route)
		for res, n := range r.Upgrades {
			counter(c.upgrades, n, r.Route, runtime.UpgradeResults[res])
		}
		for typ := range r.Events {
			for res, n := range r.Events[typ] {
				counter(c.events, n, r.Route, runtime.EventTypes[typ], runtime.EventResults[res])
			}
			h := r.Durations[typ]
			buckets := make(map[float64]uint64, len(runtime.DurationBuckets))
			var cum uint64
			for i, le := range runtime.DurationBuckets {
				cum += h.Buckets[i]
				buckets[le] = cum
			}
			ch <- prometheus.MustNewConstHistogram(c.durations, h.Count, h.Sum.Seconds(), buckets, r.Route, runtime.EventTypes[typ])
		}
		counter(c.messagesIn, r.MessagesIn, r.Route)
		counter(c.messagesOut, r.MessagesOut, r.Route)
		counter(c.bytesIn, r.BytesIn, r.Route)
		counter(c.bytesOut, r.BytesOut, r.Route)
		counter(c.rateLimited, r.RateLimited, r.Route)
		counter(c.queueFull, r.SendQueueFull, r.Route)
		for code, n := range r.Closes {
			counter(c.closes, n, r.Route, strconv.Itoa(code))
		}
		if b := r.Backend; b != nil {
			counter(c.backendFrames, b.FramesUp, r.Route, luaapi.DirectionUp)
			counter(c.backendFrames, b.FramesDown, r.Route, luaapi.DirectionDown)
			counter(c.backendBytes, b.BytesUp, r.Route, luaapi.DirectionUp)
			counter(c.backendBytes, b.BytesDown, r.Route, luaapi.DirectionDown)
		}
	}
	ok, failed, rev, _ := c.deploys.counts()
	counter(c.deploysTotal, ok, "ok")
	counter(c.deploysTotal, failed, "error")
	ch <- prometheus.MustNewConstMetric(c.revision, prometheus.GaugeValue, float64(rev))
	ch <- prometheus.MustNewConstMetric(c.luaStates, prometheus.GaugeValue, float64(snap.StatesIdle), "idle")
	ch <- prometheus.MustNewConstMetric(c.luaStates, prometheus.GaugeValue, float64(snap.StatesBusy), "busy")
	if c.push != nil {
		c.collectPush(ch)
	}
}

// collectPush adds push's families. A store that cannot be read fails the
// gauge, and with it the scrape, rather than report a false zero.
func (c *collector) collectPush(ch chan<- prometheus.Metric) {
	pc, err := c.push()
	for i, st := range push.Statuses {
		ch <- prometheus.MustNewConstMetric(c.pushMessages, prometheus.CounterValue, float64(pc.Reached[i]), string(st))
	}
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pushPending, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.pushPending, prometheus.GaugeValue, float64(pc.Pending))
}
