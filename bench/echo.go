package bench

import (
	"io"
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
	e := &EchoServer{ln: ln, srv: &http.Server{Handler: echoHandler()}}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

// echoHandler upgrades every request and echoes on the connection.
func echoHandler() http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		Echo(ws)
	})
}

// EchoEnv, set to "1", makes the load tool serve a raw echo in a process
// of its own instead: see ServeEchoChild.
const EchoEnv = "LUAGATE_BENCH_ECHO"

// ServeEchoChild serves the raw echo on a loopback port, writes its
// address as one line to out, and serves until in is closed. It is the
// second server of luagate-bench --compare --self-check, where luagate
// would run: a process of its own, as luagate's is.
func ServeEchoChild(in io.Reader, out io.Writer) error {
	return serveAsChild(in, out, echoHandler())
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
