package endpoints_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/internal/lgtesting"
)

// relay sends n messages of 64 bytes on ws from one goroutine and reads
// the n echoes on this one, and returns how long that took: throughput
// with as many messages in flight as the connection's buffers hold.
func relay(b *testing.B, ws *websocket.Conn, n int) time.Duration {
	msg := make([]byte, 64)
	start := time.Now()
	errs := make(chan error, 1)
	go func() {
		for range n {
			if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for range n {
		if _, _, err := ws.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkProxyRelay measures a --#BACKEND endpoint without code relaying
// to a gorilla echo backend against a client connected to the same
// backend directly, in one run: ns/op is the relay's per message, and
// relay/direct the ratio of the two times.
func BenchmarkProxyRelay(b *testing.B) {
	g := lgtesting.NewGateway(b, lgtesting.NoRateLimit)
	backend := lgtesting.EchoBackend(b)
	g.Deploy("/p/{room}", proxyEndpoint(backend, ""))
	via := lgtesting.Dial(b, g.WSURL("/p/bench")).Conn
	direct := lgtesting.Dial(b, backend.URL+"/echo").Conn
	relay(b, via, 1000) // warm up both
	relay(b, direct, 1000)
	b.ResetTimer()
	t := relay(b, via, b.N)
	b.StopTimer()
	d := relay(b, direct, b.N)
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "direct-ns/op")
	b.ReportMetric(float64(t)/float64(d), "relay/direct")
}
