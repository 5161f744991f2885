package cluster_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/bench"
	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

// relayScript sends each message it gets, "ID TIME", to the socket ID, as
// TIME ("g" sends to the group big instead), and joins big when asked to
// with "join". Its sends do not read Websocket.send's result, so a send to
// another node does not wait for that node's answer.
const relayScript = `--#ENDPOINT WEBSOCKET /r
if websocketInfo.type ~= "data" then return end
local m = websocketInfo.message
if m == "join" then
  Websocket.join({socket_id = websocketInfo.socket_id, group = "big"})
  return "joined"
elseif m == "g" then
  Websocket.send({group = "big", message = "x"})
else
  local id, at = m:match("^(%S+) (%S+)$")
  Websocket.send({socket_id = id, message = at})
end
`

// readRelayScript is relayScript's send to a socket id reading the
// result, as a script that answers 404 to its client would: the send
// waits for the holding node's answer.
const readRelayScript = `--#ENDPOINT WEBSOCKET /u
if websocketInfo.type ~= "data" then return end
local id, at = websocketInfo.message:match("^(%S+) (%S+)$")
local err = Websocket.send({socket_id = id, message = at})
if err then print(err.error) end
`

// benchCluster starts three nodes running relayScript.
func benchCluster(b *testing.B) []*lgtesting.Gateway {
	b.Helper()
	gws := lgtesting.NewCluster(b, lgtesting.NATS(b), 3, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.ScriptTimeout = 5 * time.Second
		// Every sender's script may wait on NATS at once.
		c.Runtime.LuaStates = 2 * senders
		c.Runtime.EndpointStates = senders
		// Open loop: the receiver's queue must hold a burst.
		c.Runtime.SendQueue = 1 << 17
		c.Runtime.SendQueueBytes = 64 << 20
		c.Runtime.SendTotalBytes = 256 << 20
	})
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/r", Script: relayScript}, {Path: "/u", Script: readRelayScript}}}
	if status, body := gws[0].PutSolution(sol); status != http.StatusOK {
		b.Fatalf("deploy: %d %s", status, body)
	}
	for _, g := range gws {
		lgtesting.Eventually(b, "the solution everywhere", func() bool {
			status, _ := lgtesting.Request(b, "", http.MethodGet, g.URL("/r"), "")
			return status != http.StatusNotFound
		})
	}
	return gws
}

// counter is a client that counts what it receives, and records how long
// each message that is a send time (Unix nanoseconds) took.
type counter struct {
	ws *websocket.Conn
	n  atomic.Int64
	// took is written by the reader only, and read once n says the
	// messages waited for have come.
	took bench.Histogram
	// arrived is signalled after each message, for a waiter that sends
	// one at a time.
	arrived chan struct{}
}

func dialCounter(b *testing.B, url string) *counter {
	b.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &counter{ws: ws, arrived: make(chan struct{}, 1)}
	b.Cleanup(func() { ws.Close() })
	go func() {
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if at, err := strconv.ParseInt(string(msg), 10, 64); err == nil {
				c.took.Record(time.Since(time.Unix(0, at)))
			}
			c.n.Add(1)
			select {
			case c.arrived <- struct{}{}:
			default:
			}
		}
	}()
	return c
}

// senders is how many clients send at once in the send benchmark.
const senders = 32

// relay has senders clients on from's endpoint path send n messages in
// all, each naming target, and returns how long until target's client had
// them all.
func relay(b *testing.B, from *lgtesting.Gateway, path, target string, got *counter, n int) time.Duration {
	b.Helper()
	conns := make([]*websocket.Conn, senders)
	for i := range conns {
		ws, _, err := websocket.DefaultDialer.Dial(from.WSURL(path), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		conns[i] = ws
	}
	base := got.n.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for i, ws := range conns {
		share := n / senders
		if i < n%senders {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range share {
				msg := target + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
				if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	lgtesting.Eventually(b, "every message relayed", func() bool { return got.n.Load()-base >= int64(n) })
	return time.Since(start)
}

// BenchmarkCrossNodeSend measures Websocket.send from scripts on node1 to
// a socket on node1 and to one on node2, alternately in the same run, and
// reports both rates, their ratio (cross-node over local) and the p99 of
// each message's time from the sending client to the receiving one, which
// under this open-loop burst is mostly time queued. result=discarded is a
// script that does not read the send's result (relayScript), result=read
// one that does (readRelayScript).
func BenchmarkCrossNodeSend(b *testing.B) {
	b.Run("result=discarded", func(b *testing.B) { crossNodeSend(b, "/r") })
	b.Run("result=read", func(b *testing.B) { crossNodeSend(b, "/u") })
}

func crossNodeSend(b *testing.B, path string) {
	gws := benchCluster(b)
	local := dialCounter(b, gws[0].WSURL("/r"))
	localID := gws[0].SocketIDs(1)[0]
	remote := dialCounter(b, gws[1].WSURL("/r"))
	remoteID := gws[1].SocketIDs(1)[0]
	const rounds = 4
	var tLocal, tRemote time.Duration
	b.ResetTimer()
	for r := range rounds {
		n := max(b.N/rounds, 1)
		if r%2 == 0 {
			tLocal += relay(b, gws[0], path, localID, local, n)
			tRemote += relay(b, gws[0], path, remoteID, remote, n)
		} else {
			tRemote += relay(b, gws[0], path, remoteID, remote, n)
			tLocal += relay(b, gws[0], path, localID, local, n)
		}
	}
	total := float64(max(b.N/rounds, 1) * rounds)
	b.ReportMetric(total/tLocal.Seconds(), "local-msg/s")
	b.ReportMetric(total/tRemote.Seconds(), "cross-node-msg/s")
	b.ReportMetric(tLocal.Seconds()/tRemote.Seconds(), "ratio")
	b.ReportMetric(float64(local.took.Quantile(0.99).Microseconds())/1000, "local-burst-p99-ms")
	b.ReportMetric(float64(remote.took.Quantile(0.99).Microseconds())/1000, "cross-node-burst-p99-ms")
}

var bigGroup = hub.Target{By: hub.ByGroup, Key: "big"}

// BenchmarkCrossNodeSendLatency sends one message at a time, the next once
// the receiver has the last, to a socket on node1 and to one on node2
// alternately, and reports the p99 of each.
func BenchmarkCrossNodeSendLatency(b *testing.B) {
	gws := benchCluster(b)
	local := dialCounter(b, gws[0].WSURL("/r"))
	localID := gws[0].SocketIDs(1)[0]
	remote := dialCounter(b, gws[1].WSURL("/r"))
	remoteID := gws[1].SocketIDs(1)[0]
	ws, _, err := websocket.DefaultDialer.Dial(gws[0].WSURL("/r"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	one := func(target string, got *counter) {
		want := got.n.Load() + 1
		msg := target + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			b.Fatal(err)
		}
		for got.n.Load() < want {
			<-got.arrived
		}
	}
	b.ResetTimer()
	for range b.N {
		one(localID, local)
		one(remoteID, remote)
	}
	b.ReportMetric(float64(local.took.Quantile(0.99).Microseconds()), "local-p99-µs")
	b.ReportMetric(float64(remote.took.Quantile(0.99).Microseconds()), "cross-node-p99-µs")
	b.ReportMetric(float64(local.took.Quantile(0.5).Microseconds()), "local-p50-µs")
	b.ReportMetric(float64(remote.took.Quantile(0.5).Microseconds()), "cross-node-p50-µs")
}

// members is the group size of the fan-out benchmark, spread evenly over
// the three nodes.
const members = 3000

// BenchmarkGroupFanOut measures a script on node1 sending to a group of
// 3,000 sockets, spread over three nodes or all on node1: each op is one
// Websocket.send, done when every member has its copy.
func BenchmarkGroupFanOut(b *testing.B) {
	for _, spread := range []int{3, 1} {
		b.Run(fmt.Sprintf("nodes=%d", spread), func(b *testing.B) { fanOut(b, spread) })
	}
}

func fanOut(b *testing.B, spread int) {
	gws := benchCluster(b)
	var all []*counter
	for i := range members {
		c := dialCounter(b, gws[i%spread].WSURL("/r"))
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte("join")); err != nil {
			b.Fatal(err)
		}
		all = append(all, c)
	}
	delivered := func() int64 {
		var n int64
		for _, c := range all {
			n += c.n.Load()
		}
		return n
	}
	// Each member's "joined" answer counts once.
	lgtesting.Eventually(b, "every member joined", func() bool { return delivered() == members })
	sender, _, err := websocket.DefaultDialer.Dial(gws[0].WSURL("/r"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	lgtesting.Eventually(b, "node1 to know every node holds big", func() bool {
		return len(gws[0].Cluster().Holders(bigGroup)) == spread
	})
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := sender.WriteMessage(websocket.TextMessage, []byte("g")); err != nil {
			b.Fatal(err)
		}
		want := int64(members * (i + 2))
		lgtesting.Eventually(b, fmt.Sprintf("send %d to reach every member", i), func() bool { return delivered() >= want })
	}
	b.ReportMetric(float64(members*b.N)/time.Since(start).Seconds(), "deliveries/s")
}
