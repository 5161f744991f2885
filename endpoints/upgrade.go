package endpoints

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
)

// upgrade returns the handler of the endpoint declared as route.
func (s *Server) upgrade(route string) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		// An upgrade has no body to read.
		answerWithoutBody(w, r)
		if !websocket.IsWebSocketUpgrade(r) {
			// RFC 9110 15.5.22: a 426 names the protocol to upgrade to.
			w.Header().Set("Upgrade", "websocket")
			writeError(w, http.StatusUpgradeRequired, "UpgradeRequiredError",
				route+" is a WebSocket endpoint: connect with a WebSocket client")
			return
		}
		if s.closing.Load() {
			writeError(w, http.StatusServiceUnavailable, "ShuttingDownError", runtime.ErrShuttingDown.Error())
			return
		}
		if !s.allowOrigin(r) {
			writeError(w, http.StatusForbidden, "OriginError", "origin "+scripts.Elide(r.Header.Get("Origin"))+" is not allowed")
			return
		}
		if err := checkHeaders(r.Header); err != nil {
			writeError(w, http.StatusRequestHeaderFieldsTooLarge, "HeadersTooLargeError", err.Error())
			return
		}
		id := s.hub.NewID()
		conn := hub.Conn{
			ID:         id,
			URI:        requestURI(r),
			Route:      route,
			Headers:    headers(r.Header),
			Parameters: parameters(r, ps),
		}
		// Before a connection place is taken: a refused client holds
		// none, and no socket, event or listing ever sees it.
		remote := s.remoteAddr(r)
		if err := s.authenticate(upgradeRequest{route: route, r: r, id: id, remote: remote, conn: &conn}); err != nil {
			s.refuseAuth(w, route, err)
			return
		}
		ip := remote.String()
		conn.RemoteAddr = ip
		if ok, reason := s.limits.acquire(ip); !ok {
			writeError(w, http.StatusServiceUnavailable, "ConnectionLimitError", reason)
			return
		}
		subprotocol, answer, err := s.handshakeHeaders(route, r, id)
		if err != nil {
			s.limits.release(ip)
			writeError(w, http.StatusBadRequest, "SubprotocolError", err.Error())
			return
		}
		// A proxy endpoint's backend is dialled before the client's
		// upgrade completes, so a client whose backend is down gets an
		// answer rather than a socket that closes at once.
		backend, err := s.cfg.Engine.DialBackend(r.Context(), &conn)
		if err != nil {
			s.limits.release(ip)
			s.cfg.Logger.Warn("upgrade refused: backend unavailable", "route", route, "error", err)
			writeError(w, http.StatusBadGateway, "BadGatewayError", "the backend of "+scripts.Elide(route)+" is unavailable")
			return
		}
		// The engine lends the connection its read buffer while it reads.
		ws, err := s.upgrader.Upgrade(runtime.LendingWriter(w), r, answer)
		if err != nil {
			s.limits.release(ip)
			if backend != nil {
				backend.Close()
			}
			return // the upgrader has answered through upgradeError
		}
		conn.Subprotocol = subprotocol
		conn.ConnectedAt = time.Now()
		// The engine serves the socket without this handler, so that
		// net/http drops what it holds for the connection (its buffered
		// reader and writer, the request, a deeper stack) once it
		// returns: an idle socket then costs little more than its
		// connection.
		release := func() { s.limits.release(ip) }
		if err := s.cfg.Engine.Start(ws, conn, backend, release); err != nil {
			release()
		}
	}
}

// upgradeError answers a failed handshake in the API's error shape.
func (s *Server) upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	writeError(w, status, "HandshakeError", reason.Error())
}

// requestURI rebuilds the full URI the client asked for.
func requestURI(r *http.Request) string {
	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// headers lower-cases names and joins repeated values with ", ", the way
// HTTP allows a list header to be folded.
func headers(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		out[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	return out
}

// parameters merges query and path parameters; a path parameter wins over a
// query parameter of the same name, and a repeated query parameter keeps its
// first value. It is nil for none, as for most sockets: an empty map would
// cost each its header for as long as it is open.
func parameters(r *http.Request, ps httprouter.Params) map[string]string {
	q := r.URL.Query()
	if len(q)+len(ps) == 0 {
		return nil
	}
	out := make(map[string]string, len(q)+len(ps))
	for name, values := range q {
		out[name] = values[0]
	}
	for _, p := range ps {
		out[p.Key] = p.Value
	}
	return out
}
