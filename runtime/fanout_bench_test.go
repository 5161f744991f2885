package runtime

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

// BenchmarkSendToGroup sends one message to a group of 1,000 real sockets,
// as Websocket.send{group=} does, and waits until every client has read
// it over loopback: one op is one fan-out of 1,000 deliveries.
func BenchmarkSendToGroup(b *testing.B) {
	const members = 1000
	e := benchEngine(b, `return nil`)
	var got atomic.Int64
	done := make(chan struct{}, 1)
	var want atomic.Int64
	for _, ws := range dialMany(b, e, members) {
		go func() {
			for {
				// Not ReadMessage, which allocates: the server's
				// allocations are the ones to count.
				_, r, err := ws.NextReader()
				if err != nil {
					return
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					return
				}
				if got.Add(1) == want.Load() {
					done <- struct{}{}
				}
			}
		}()
	}
	joinAll(b, e, "room")
	msg := []byte("hello, this is a message of a typical size for a chat")
	room := luaapi.Target{By: luaapi.ByGroup, Key: "room"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		want.Store(int64(i+1) * members)
		if n := e.hub.SendTo(room, msg, false); n != members {
			b.Fatalf("sent to %d sockets, want %d", n, members)
		}
		<-done
	}
	b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "deliveries/s")
}

// dialMany serves e at /b on loopback and connects n clients to it; their
// sockets are registered by the time it returns.
func dialMany(tb testing.TB, e *Engine, n int) []*websocket.Conn {
	tb.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		_ = e.Serve(ws, hub.Conn{ID: hub.NewID(), URI: "ws://" + r.Host + "/b", Route: "/b", ConnectedAt: time.Now()})
	}))
	tb.Cleanup(srv.Close)
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/b", nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { ws.Close() })
		clients[i] = ws
	}
	for e.hub.Registered() < n {
		time.Sleep(time.Millisecond)
	}
	return clients
}

// joinAll puts every socket of e in group.
func joinAll(tb testing.TB, e *Engine, group string) {
	tb.Helper()
	for _, id := range e.hub.List() {
		if err := e.hub.Join(id, group); err != nil {
			tb.Fatal(err)
		}
	}
}
