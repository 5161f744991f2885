package runtime

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// benchEngine returns an engine running script at /b, its rate limit off.
func benchEngine(tb testing.TB, script string) *Engine {
	tb.Helper()
	return benchEngineWith(tb, Config{}, script)
}

// benchEngineWith is benchEngine with cfg's other fields, and a script log
// as the server keeps one.
func benchEngineWith(tb testing.TB, cfg Config, script string) *Engine {
	tb.Helper()
	cfg.NoRateLimit, cfg.Logger = true, slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.Logs == nil {
		cfg.Logs, _ = logs.NewRing(0)
	}
	e, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	c, err := scripts.Compile(scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/b", Script: script}}})
	if err != nil {
		tb.Fatal(err)
	}
	e.Load(c)
	return e
}

// benchDispatch dispatches one event of type typ b.N times through a
// script that replies nothing, on a socket with no connection.
func benchDispatch(b *testing.B, typ string) {
	benchDispatchOn(b, benchEngine(b, `if websocketInfo.type == "data" then local m = websocketInfo.message end`), typ)
}

// benchDispatchOn is benchDispatch on the engine e.
func benchDispatchOn(b *testing.B, e *Engine, typ string) {
	s := detachedSocket(b, e, hub.Conn{
		ID: hub.NewID(), URI: "ws://127.0.0.1:8080/b?user=ann", Route: "/b",
		Headers: map[string]string{
			"host": "127.0.0.1:8080", "upgrade": "websocket", "connection": "Upgrade",
			"sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13",
		},
		Parameters:  map[string]string{"user": "ann"},
		ConnectedAt: time.Now(),
	})
	ev := &luaapi.Event{Type: typ, Conn: s.conn, Peer: s, Message: []byte("hello")}
	b.ReportAllocs()
	for b.Loop() {
		ev.Timestamp = time.Now() // as a read takes it, once per message
		e.dispatch(s, ev)
	}
}

func BenchmarkDispatchOpen(b *testing.B) { benchDispatch(b, luaapi.EventOpen) }
func BenchmarkDispatchData(b *testing.B) { benchDispatch(b, luaapi.EventData) }

func BenchmarkRateLimiter(b *testing.B) {
	e := benchEngine(b, `return nil`)
	e.cfg.NoRateLimit, e.cfg.RateLimit = false, 1e12
	s := detachedSocket(b, e, hub.Conn{ID: "x", Route: "/b"})
	b.ReportAllocs()
	now := time.Now()
	for b.Loop() {
		// As receive asks: with the clock reading the message took.
		if !s.limiter.AllowN(now, 1) {
			b.Fatal("limited")
		}
	}
}

// serveBench serves e over a real loopback connection and returns the
// client's side of it; the server's socket is registered by the time it
// returns.
func serveBench(b *testing.B, e *Engine) *websocket.Conn {
	b.Helper()
	return dialMany(b, e, 1)[0]
}

// BenchmarkSendToLocalSocket queues messages with Hub.Send, as
// Websocket.send does, to a socket whose client reads them over loopback.
func BenchmarkSendToLocalSocket(b *testing.B) {
	e := benchEngine(b, `return nil`)
	ws := serveBench(b, e)
	id := e.hub.List()[0]
	msg := []byte("hello, this is a message of a typical size for a chat")
	b.ReportAllocs()
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for b.Loop() {
		for e.hub.Send(id, msg, false) == luaapi.ErrQueueFull {
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// BenchmarkEchoRoundTrip is the whole message path: a client frame, the
// reader, dispatch, the echo script, the send queue, the writer, and the
// client reading the reply.
func BenchmarkEchoRoundTrip(b *testing.B) {
	e := benchEngine(b, `if websocketInfo.type == "data" then websocketInfo.send(websocketInfo.message) end`)
	ws := serveBench(b, e)
	msg := []byte("hello, this is a message of a typical size for a chat")
	b.ReportAllocs()
	for b.Loop() {
		if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// detachedSocket is a socket with no connection, registered in e's hub
// until the test ends, for dispatching events to directly.
func detachedSocket(tb testing.TB, e *Engine, c hub.Conn) *socket {
	s := newSocket(e, nil)
	s.share = e.pool.join(c.Route)
	s.stats = e.routes.join(c.Route, s)
	s.entry = e.hub.Register(c, s)
	s.conn = s.entry.View()
	tb.Cleanup(func() {
		s.entry.Unregister()
		e.pool.leave(s.share)
	})
	return s
}

// BenchmarkPoolGetPut takes a state and gives it back from every processor
// at once: the pool's lock is the one lock every event takes besides its
// socket's, so this is what it costs under contention.
func BenchmarkPoolGetPut(b *testing.B) {
	e := benchEngine(b, `return nil`)
	r := e.pool.join("/b")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var slot waitSlot
		for pb.Next() {
			pv, _ := e.pool.get(r, &slot, dataEvent)
			e.pool.put(pv)
		}
	})
}
