package lgtesting

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/bench"
)

// Backend is a real WebSocket server on 127.0.0.1 for proxy endpoints to
// relay to. It closes its connections and waits for its handlers when the
// test ends.
type Backend struct {
	// URL is the ws:// URL of its root.
	URL string
	// Upgrades receives the request of every upgrade it accepted.
	Upgrades chan *http.Request

	srv    *httptest.Server
	mu     sync.Mutex
	conns  []*websocket.Conn
	closed bool
	wg     sync.WaitGroup
}

// NewBackend serves each upgraded connection with serve, which returns
// when it is done with the connection; the backend closes it then.
func NewBackend(tb testing.TB, serve func(*websocket.Conn)) *Backend {
	tb.Helper()
	b := &Backend{Upgrades: make(chan *http.Request, 1024)}
	up := websocket.Upgrader{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		select {
		case b.Upgrades <- r:
		default:
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			ws.Close()
			return
		}
		b.conns = append(b.conns, ws)
		b.wg.Add(1)
		b.mu.Unlock()
		defer b.wg.Done()
		defer ws.Close()
		serve(ws)
	}))
	b.URL = "ws" + strings.TrimPrefix(b.srv.URL, "http")
	tb.Cleanup(b.Close)
	return b
}

// EchoBackend sends every frame back with its type, until the connection
// ends; a close frame is answered with the same code and reason.
func EchoBackend(tb testing.TB) *Backend {
	tb.Helper()
	return NewBackend(tb, bench.Echo)
}

// Close stops the backend: its listener, every connection, and waits for
// the handlers.
func (b *Backend) Close() {
	b.srv.Close()
	b.mu.Lock()
	b.closed = true
	for _, ws := range b.conns {
		_ = ws.NetConn().Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
