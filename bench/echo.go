package bench

import (
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

// EchoServer is the baseline luagate is measured against: gorilla/websocket
// echoing every message back on the connection's own goroutine, with no
// scripting, no limiter and no queue. It is the transport's physical limit.
type EchoServer struct {
	srv *http.Server
	ln  net.Listener
}

// StartEcho serves the raw echo on addr (such as "127.0.0.1:0") at every
// path.
func StartEcho(addr string) (*EchoServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	e := &EchoServer{ln: ln, srv: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		Echo(ws)
	})}}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

// URL is the ws:// address of the server.
func (e *EchoServer) URL() string { return "ws://" + e.ln.Addr().String() + "/echo" }

// Close stops the server and drops its connections.
func (e *EchoServer) Close() error { return e.srv.Close() }

// Echo sends every frame of ws back with its type until the connection
// ends.
func Echo(ws *websocket.Conn) {
	for {
		typ, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if err := ws.WriteMessage(typ, msg); err != nil {
			return
		}
	}
}
