package endpoints

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// maxSolutionScripts bounds a whole-solution body as that many scripts of
// the largest size.
const maxSolutionScripts = 64

func (s *Server) managementRoutes() *httprouter.Router {
	r := httprouter.New()
	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFoundError", "no management route "+scripts.Elide(r.Method)+" "+scripts.Elide(r.URL.Path))
	})
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowedError", scripts.Elide(r.Method)+" is not allowed on "+scripts.Elide(r.URL.Path))
	})
	r.GET(wire.HealthPath, s.health)
	for _, route := range []struct {
		method, path string
		scope        auth.Scope
		h            httprouter.Handle
	}{
		{http.MethodGet, "", auth.ScopeAdmin, s.getSolution},
		{http.MethodPut, "", auth.ScopeAdmin, s.putSolution},
		{http.MethodGet, "/endpoints", auth.ScopeAdmin, s.getEndpoints},
		{http.MethodPut, "/endpoints", auth.ScopeAdmin, s.putEndpoints},
		{http.MethodDelete, "/endpoints", auth.ScopeAdmin, s.deleteEndpoint},
		{http.MethodGet, "/modules/:name", auth.ScopeAdmin, s.getModule},
		{http.MethodPut, "/modules/:name", auth.ScopeAdmin, s.putModule},
		{http.MethodDelete, "/modules/:name", auth.ScopeAdmin, s.deleteModule},
		{http.MethodGet, "/eventhandlers/:name", auth.ScopeAdmin, s.getHandler},
		{http.MethodPut, "/eventhandlers/:name", auth.ScopeAdmin, s.putHandler},
		{http.MethodDelete, "/eventhandlers/:name", auth.ScopeAdmin, s.deleteHandler},
		{http.MethodGet, "/config", auth.ScopeAdmin, s.getConfig},
		{http.MethodPut, "/config", auth.ScopeAdmin, s.putConfig},
		{http.MethodGet, "/env", auth.ScopeAdmin, s.getEnv},
		{http.MethodPut, "/env", auth.ScopeAdmin, s.putEnv},
		{http.MethodGet, "/webservice", auth.ScopeAdmin, s.getWebservice},
		{http.MethodPut, "/webservice", auth.ScopeAdmin, s.putWebservice},
		{http.MethodGet, "/sockets", auth.ScopeRead, s.getSockets},
		{http.MethodDelete, "/sockets", auth.ScopeAdmin, s.deleteSockets},
		{http.MethodGet, "/sockets/:id", auth.ScopeRead, s.getSocket},
		{http.MethodDelete, "/sockets/:id", auth.ScopeAdmin, s.deleteSocket},
		{http.MethodPost, "/sockets/:id/messages", auth.ScopePush, s.postMessage},
		{http.MethodPost, "/sockets/:id/requests", auth.ScopePush, s.postRequest},
		{http.MethodGet, "/sockets/:id/files", auth.ScopeRead, s.socketFiles(s.listFiles)},
		{http.MethodGet, "/sockets/:id/files/:name", auth.ScopeRead, s.socketFiles(s.getFile)},
		{http.MethodPut, "/sockets/:id/files/:name", auth.ScopePush, s.socketFiles(s.putFile)},
		{http.MethodDelete, "/sockets/:id/files/:name", auth.ScopePush, s.socketFiles(s.deleteFile)},
		{http.MethodGet, "/sessions", auth.ScopeRead, s.getSessions},
		{http.MethodGet, "/sessions/:id", auth.ScopeRead, s.getSession},
		{http.MethodGet, "/stats", auth.ScopeRead, s.getStats},
		{http.MethodGet, "/logs", auth.ScopeRead, s.getLogs},
		{http.MethodGet, "/users/:user_id/sockets", auth.ScopeRead, s.getUserSockets},
		{http.MethodDelete, "/users/:user_id/sockets", auth.ScopeAdmin, s.deleteUserSockets},
		{http.MethodPost, "/users/:user_id/messages", auth.ScopePush, s.postUserMessage},
		{http.MethodPost, "/keys", auth.ScopeAdmin, s.postKey},
		{http.MethodGet, "/keys", auth.ScopeAdmin, s.getKeys},
		{http.MethodDelete, "/keys/:id", auth.ScopeAdmin, s.deleteKey},
	} {
		r.Handle(route.method, wire.Prefix+route.path, s.guard(route.scope, route.h))
	}
	s.pushRoutes(r)
	return r
}

// guard requires the admin token or an API key with scope. ServeHTTP has
// seen to it that a request without a credential is answered without
// reading its body.
func (s *Server) guard(scope auth.Scope, h httprouter.Handle) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if err := s.authorize(r, scope); err != nil {
			s.refuseAuth(w, r.URL.Path, err)
			return
		}
		h(w, r, ps)
	}
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.closing.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "shutting down")
		return
	}
	if s.cfg.Degraded != nil {
		if why := s.cfg.Degraded(); why != "" {
			_, _ = io.WriteString(w, "degraded: "+why)
			return
		}
	}
	_, _ = io.WriteString(w, "OK")
}

// readBody reads at most limit bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, tooLarge(fmt.Errorf("request body is over the limit of %d bytes", limit))
	}
	if err != nil {
		return nil, badRequest(fmt.Errorf("read request body: %w", err))
	}
	return b, nil
}

// decodeJSON decodes exactly one JSON value into v and refuses fields v does
// not have, so a typo is an error rather than silently ignored.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(fmt.Errorf("invalid JSON body: %w", err))
	}
	if dec.More() {
		return badRequest(errors.New("invalid JSON body: more than one value"))
	}
	return nil
}

// isJSONObject and isJSONArray tell a JSON body from a raw Lua one: a Lua
// chunk cannot start with "{" or "[".
func isJSONObject(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}

func isJSONArray(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("["))
}

func (s *Server) getSolution(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, withoutEnvValues(s.current()))
}

func (s *Server) putSolution(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	b, err := readBody(w, r, maxSolutionScripts*s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var sol scripts.Solution
	if err := decodeJSON(b, &sol); err != nil {
		writeErr(w, err)
		return
	}
	if err := sol.CheckDecoded(); err != nil {
		writeErr(w, badRequest(fmt.Errorf("invalid JSON body: %w", err)))
		return
	}
	s.respondChange(w, replaceWith(sol))
}

// Deploy replaces the whole solution with sol, exactly as PUT
// /api/v1/solution does: everything is compiled first, and any problem
// leaves the running solution as it was. What runs is a copy of sol, so
// the caller may go on changing it.
func (s *Server) Deploy(sol scripts.Solution) error {
	_, err := s.change(replaceWith(sol.DeepClone()))
	return err
}

// replaceWith replaces the solution with sol; a sol without env values
// keeps the deployed ones, as answers never show them.
func replaceWith(sol scripts.Solution) func(*scripts.Solution) error {
	return func(cur *scripts.Solution) error {
		env := cur.Env
		*cur = sol
		cur.EnvSHA256 = ""
		if cur.Env == nil {
			cur.Env = env
		}
		return nil
	}
}

func (s *Server) respondChange(w http.ResponseWriter, edit func(*scripts.Solution) error) {
	res, err := s.change(edit)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// endpointKey is the key of the endpoint a request names with ?path= and
// ?method= (WEBSOCKET when absent).
func endpointKey(r *http.Request) (string, error) {
	q := r.URL.Query()
	path := q.Get("path")
	if path == "" {
		return "", badRequest(errors.New("the path query parameter is required: ?path=/chat/{room}, with &method=GET for an HTTP endpoint"))
	}
	return scripts.EndpointKey(q.Get("method"), path), nil
}

func (s *Server) getEndpoints(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	c := s.cfg.Engine.Solution()
	if r.URL.Query().Get("path") == "" {
		writeJSON(w, http.StatusOK, summarize(c))
		return
	}
	key, err := endpointKey(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	e, ok := c.EndpointByKey(key)
	if !ok {
		writeErr(w, missing("no endpoint %s", scripts.Elide(key)))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		endpointSummary
		Script string `json:"script"`
	}{summaryOf(e), e.Script})
}

// putEndpoints creates or replaces endpoints from a raw Lua body with
// "--#ENDPOINT METHOD /path" headers, or from JSON: one endpoint or a list
// of them, as wire.Endpoint (the platform's shape, so an export replays).
func (s *Server) putEndpoints(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var eps []scripts.Endpoint
	switch {
	case isJSONObject(b):
		var e wire.Endpoint
		if err := decodeJSON(b, &e); err != nil {
			writeErr(w, err)
			return
		}
		eps = []scripts.Endpoint{e.Endpoint}
	case isJSONArray(b):
		var list []wire.Endpoint
		if err := decodeJSON(b, &list); err != nil {
			writeErr(w, err)
			return
		}
		for _, e := range list {
			eps = append(eps, e.Endpoint)
		}
	default:
		eps, err = scripts.ParseEndpoints("request body", string(b))
		if err != nil {
			writeErr(w, err)
			return
		}
	}
	s.respondChange(w, func(sol *scripts.Solution) error {
		sol.PutEndpoints(eps...)
		return nil
	})
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	key, err := endpointKey(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.respondChange(w, func(sol *scripts.Solution) error {
		if !sol.DeleteEndpoint(key) {
			return missing("no endpoint %s", scripts.Elide(key))
		}
		return nil
	})
}

// namedScripts gives the module and event handler routes one
// implementation: both are a map from name to Lua source.
type namedScripts struct {
	kind string
	pick func(*scripts.Solution) map[string]string
}

var (
	modulesKind  = namedScripts{"module", func(s *scripts.Solution) map[string]string { return s.Modules }}
	handlersKind = namedScripts{"event handler", func(s *scripts.Solution) map[string]string { return s.EventHandlers }}
)

func (s *Server) getNamed(k namedScripts, w http.ResponseWriter, name string) {
	sol := s.current()
	src, ok := k.pick(&sol)[name]
	if !ok {
		writeErr(w, missing("no %s %s", k.kind, scripts.Elide(name)))
		return
	}
	w.Header().Set("Content-Type", "text/x-lua; charset=utf-8")
	_, _ = io.WriteString(w, src)
}

func (s *Server) putNamed(k namedScripts, w http.ResponseWriter, r *http.Request, name string) {
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	src := string(b)
	if isJSONObject(b) {
		var body struct {
			Script string `json:"script"`
		}
		if err := decodeJSON(b, &body); err != nil {
			writeErr(w, err)
			return
		}
		src = body.Script
	}
	s.respondChange(w, func(sol *scripts.Solution) error {
		k.pick(sol)[name] = src
		return nil
	})
}

func (s *Server) deleteNamed(k namedScripts, w http.ResponseWriter, name string) {
	s.respondChange(w, func(sol *scripts.Solution) error {
		m := k.pick(sol)
		if _, ok := m[name]; !ok {
			return missing("no %s %s", k.kind, scripts.Elide(name))
		}
		delete(m, name)
		return nil
	})
}

func (s *Server) getModule(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	s.getNamed(modulesKind, w, ps.ByName("name"))
}

func (s *Server) putModule(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	s.putNamed(modulesKind, w, r, ps.ByName("name"))
}

func (s *Server) deleteModule(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	s.deleteNamed(modulesKind, w, ps.ByName("name"))
}

func (s *Server) getHandler(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	s.getNamed(handlersKind, w, ps.ByName("name"))
}

func (s *Server) putHandler(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	s.putNamed(handlersKind, w, r, ps.ByName("name"))
}

func (s *Server) deleteHandler(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	s.deleteNamed(handlersKind, w, ps.ByName("name"))
}

func viewOf(sn hub.Snapshot) wire.Socket {
	return wire.Socket{
		SocketID: sn.ID, URI: sn.URI, Type: "open", Route: sn.Route,
		Headers: sn.Headers, Parameters: sn.Parameters,
		Timestamp: sn.ConnectedAt.UnixMilli(), ConnectedAt: sn.ConnectedAt,
		MessagesIn: sn.MessagesIn, MessagesOut: sn.MessagesOut,
		Subprotocol: sn.Subprotocol, LastActivityAt: sn.LastActivityAt,
		UserID: sn.UserID, SessionName: sn.SessionName, Auth: authView(sn.Auth),
		Backend: sn.Backend,
	}
}

func authView(a *hub.Auth) *wire.SocketAuth {
	if a == nil {
		return nil
	}
	return &wire.SocketAuth{Scheme: a.Scheme, KeyID: a.KeyID, KeyName: a.KeyName, Claims: a.Claims}
}

func (s *Server) getSockets(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeSockets(w, s.hub.Sockets())
}

func writeSockets(w http.ResponseWriter, all []hub.Snapshot) {
	out := make([]wire.Socket, len(all))
	for i, st := range all {
		out[i] = viewOf(st)
	}
	writeJSON(w, http.StatusOK, out)
}

func userTarget(ps httprouter.Params) hub.Target {
	return hub.Target{By: hub.ByUser, Key: ps.ByName("user_id")}
}

func (s *Server) getUserSockets(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	writeSockets(w, s.hub.SocketsOf(userTarget(ps)))
}

func (s *Server) deleteUserSockets(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	writeJSON(w, http.StatusOK, wire.Closed{Closed: s.hub.DisconnectTo(userTarget(ps), hub.CloseByAPI)})
}

func (s *Server) postUserMessage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	msg, binary, ok := s.readMessage(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, wire.Sent{Sent: s.hub.SendTo(userTarget(ps), msg, binary)})
}

func (s *Server) getSocket(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	st, err := s.hub.Socket(ps.ByName("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(st))
}

func (s *Server) deleteSocket(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	if err := s.hub.Disconnect(ps.ByName("id"), hub.CloseByAPI); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteSockets(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, wire.Closed{Closed: s.hub.DisconnectAll(hub.CloseByAPI)})
}

// readMessage reads a send request's body and the message it holds; when
// it fails it has answered the request.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request) ([]byte, bool, bool) {
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return nil, false, false
	}
	var body wire.SendRequest
	if err := decodeJSON(b, &body); err != nil {
		writeErr(w, err)
		return nil, false, false
	}
	if body.Message == nil {
		writeErr(w, badRequest(errors.New(`the "message" field is required`)))
		return nil, false, false
	}
	msg, binary, err := decodeMessage(body)
	if err != nil {
		writeErr(w, err)
		return nil, false, false
	}
	return msg, binary, true
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	msg, binary, ok := s.readMessage(w, r)
	if !ok {
		return
	}
	if err := s.hub.Send(ps.ByName("id"), msg, binary); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeMessage turns a send request's message into the bytes to send:
// text as it is, data-binary from base64.
func decodeMessage(body wire.SendRequest) ([]byte, bool, error) {
	switch body.Type {
	case "", wire.MessageText:
		return []byte(*body.Message), false, nil
	case wire.MessageBinary:
		b, err := base64.StdEncoding.DecodeString(*body.Message)
		if err != nil {
			return nil, false, badRequest(fmt.Errorf("a %s message must be base64: %w", wire.MessageBinary, err))
		}
		return b, true, nil
	}
	return nil, false, badRequest(fmt.Errorf("type must be %q or %q, got %q", wire.MessageText, wire.MessageBinary, body.Type))
}
