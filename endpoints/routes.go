package endpoints

import (
	"net/http"

	"github.com/gorilla/websocket"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/scripts"
)

// route is what one method and path pattern of the router serve: a
// WebSocket endpoint, an HTTP endpoint, or both for a GET declared both
// ways.
type route struct {
	method, pattern string
	ws, http        httprouter.Handle
}

// handle is the route's handler: a GET declared both ways goes to the
// WebSocket endpoint when it asks for an upgrade.
func (rt *route) handle() httprouter.Handle {
	switch {
	case rt.ws == nil:
		return rt.http
	case rt.http == nil:
		return rt.ws
	}
	ws, plain := rt.ws, rt.http
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if websocket.IsWebSocketUpgrade(r) {
			ws(w, r, ps)
			return
		}
		plain(w, r, ps)
	}
}

// routeTable builds the router of compiled: its WebSocket and HTTP
// endpoints in one table, a 405 with Allow for a method a known path does
// not declare, and OPTIONS (CORS preflights among them) answered for paths
// without an OPTIONS endpoint. Compile has checked that the patterns fit
// one router, with the same sharing of routes as here.
func (s *Server) routeTable(compiled *scripts.Compiled) *httprouter.Router {
	r := httprouter.New()
	// A redirect is no answer to a WebSocket client, nor to an API's.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.NotFound = http.HandlerFunc(notFound)
	r.MethodNotAllowed = http.HandlerFunc(methodNotAllowed)
	r.GlobalOPTIONS = preflight(compiled.CORS)
	var order []*route
	routes := map[string]*route{}
	at := func(ep *scripts.CompiledEndpoint) *route {
		method := scripts.RouteMethod(ep.Endpoint)
		k := method + " " + ep.Pattern.Router
		rt := routes[k]
		if rt == nil {
			rt = &route{method: method, pattern: ep.Pattern.Router}
			routes[k] = rt
			order = append(order, rt)
		}
		return rt
	}
	for _, ep := range compiled.Endpoints {
		at(ep).ws = s.countUpgrades(ep.Path, s.upgrade(ep.Path))
	}
	for _, ep := range compiled.HTTP {
		at(ep).http = s.serveRequest(ep, compiled.CORS, newClientLimits(ep.Policy.RateLimit))
	}
	for _, rt := range order {
		r.Handle(rt.method, rt.pattern, rt.handle())
	}
	// The push path is reserved, so no endpoint's route takes it.
	if s.cfg.Push != nil {
		r.GET(s.cfg.Push.Path(), s.upgrade(s.cfg.Push.Path()))
	}
	return r
}

// methodNotAllowed answers a method a known path does not declare; the
// router has set Allow to those it does.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	answerWithoutBody(w, r)
	if websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusBadRequest, "HandshakeError", "a WebSocket upgrade must be a GET, not "+scripts.Elide(r.Method))
		return
	}
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowedError",
		scripts.Elide(r.Method)+" is not allowed on "+scripts.Elide(r.URL.Path)+": it allows "+w.Header().Get("Allow"))
}
