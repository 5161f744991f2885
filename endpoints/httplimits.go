package endpoints

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
)

// Limits of what one HTTP request may make the server hold.
const (
	// MaxHeaderBytes bounds a request's headers, for every request: net/http
	// answers 431 past it.
	MaxHeaderBytes = 32 << 10
	// MaxSocketHeaders and MaxSocketHeaderBytes bound the headers an upgrade
	// may carry, counted as websocketInfo.headers keeps them for the life of
	// the socket: the number of header lines, and the bytes of their names
	// and values. An upgrade past either is refused with 431 rather than
	// served with some headers dropped, which a script could not tell.
	MaxSocketHeaders     = 100
	MaxSocketHeaderBytes = 16 << 10
)

// checkHeaders refuses headers that would take more than their share of a
// socket's memory.
func checkHeaders(h http.Header) error {
	lines, size := 0, 0
	for name, values := range h {
		lines += len(values)
		size += len(name)
		for i, v := range values {
			size += len(v)
			if i > 0 {
				size += len(", ") // headers joins repeated values
			}
		}
	}
	switch {
	case lines > MaxSocketHeaders:
		return fmt.Errorf("%d header lines: a WebSocket upgrade may send at most %d", lines, MaxSocketHeaders)
	case size > MaxSocketHeaderBytes:
		return fmt.Errorf("%d bytes of headers: a WebSocket upgrade may send at most %d", size, MaxSocketHeaderBytes)
	}
	return nil
}

// httpConns counts the connections net/http serves that are not WebSocket
// sockets, through http.Server.ConnState: each connection is new once, and
// then either hijacked (it has become a socket, which connLimits counts) or
// closed. One past max is closed as it arrives, before anything is read
// from it; it is still counted until net/http reports it closed.
type httpConns struct {
	max  int64
	open atomic.Int64
}

func (h *httpConns) track(c net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		if h.open.Add(1) > h.max {
			_ = c.Close()
		}
	case http.StateHijacked, http.StateClosed:
		h.open.Add(-1)
	}
}

// answerWithoutBody readies a response given without reading the request's
// body: the connection closes after it. Otherwise net/http, to reuse the
// connection, first reads up to 256 KiB of the body nobody wants, at
// whatever pace the client sends it.
func answerWithoutBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}
