package endpoints

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
)

// DefaultMaxBodyBytes bounds an HTTP endpoint's request body when the
// endpoint has no --#MAXMESSAGE line.
const DefaultMaxBodyBytes = 1 << 20

// The Content-Type of a table body, and of a string body from an endpoint
// that declares none.
var (
	jsonContentType = []string{"application/json"}
	textContentType = []string{"text/plain; charset=utf-8"}
)

// serveRequest returns the handler of the HTTP endpoint ep: CORS, the
// rate limit per client address (or, on an endpoint that authenticates,
// authentication, then the rate limit per credential), the body, then the
// script, whose answer it writes. A request refused before the script runs
// none, and its body is not read.
func (s *Server) serveRequest(ep *scripts.CompiledEndpoint, cors *scripts.CORSPolicy, limits *clientLimits) httprouter.Handle {
	key := ep.Key()
	// An endpoint that authenticates limits each credential, after it is
	// checked; others each address, before anything else.
	sec := s.defaultSecurity
	if ep.Policy.Security != nil {
		sec = *ep.Policy.Security
	}
	authenticates := sec.Scheme != scripts.SecurityNone
	maxBody := int64(DefaultMaxBodyBytes)
	if ep.Policy.MaxMessageBytes > 0 {
		maxBody = ep.Policy.MaxMessageBytes
	}
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		// First, so that a browser lets the page read a refusal too.
		corsHeaders(w, r, cors)
		if s.closing.Load() {
			answerWithoutBody(w, r)
			writeError(w, http.StatusServiceUnavailable, "ShuttingDownError", runtime.ErrShuttingDown.Error())
			return
		}
		remote := s.remoteAddr(r)
		if limits != nil && !authenticates && !limits.allow(clientOf(remote, nil), time.Now()) {
			answerWithoutBody(w, r)
			writeError(w, limits.rl.Code, "RateLimitError", limits.rl.Message)
			return
		}
		id := hub.NewID()
		conn := hub.Conn{ID: id, URI: httpURI(r), Route: ep.Path, Headers: headers(r.Header), Parameters: parameters(r, ps)}
		err := s.authenticate(upgradeRequest{route: ep.Path, key: key, r: r, id: id, remote: remote, conn: &conn})
		if err != nil {
			answerWithoutBody(w, r)
			s.refuseAuth(w, key, err)
			return
		}
		if limits != nil && authenticates && !limits.allow(clientOf(remote, &conn), time.Now()) {
			answerWithoutBody(w, r)
			writeError(w, limits.rl.Code, "RateLimitError", limits.rl.Message)
			return
		}
		var body []byte
		if r.ContentLength != 0 {
			// -1, unknown, is a chunked body: read it to the limit too.
			if body, err = readBody(w, r, maxBody); err != nil {
				writeErr(w, err)
				return
			}
		}
		resp, err := s.cfg.Engine.ServeRequest(key, &runtime.Request{
			Method: r.Method, URI: conn.URI, Path: r.URL.Path, Route: ep.Path, RequestID: id,
			Headers: conn.Headers, Parameters: conn.Parameters, Body: body,
			JSON: len(body) > 0 && isJSONType(r.Header.Get("Content-Type"), ep.ContentType),
		})
		switch {
		case err == nil:
			writeResponse(w, resp, ep.ContentType)
		case errors.Is(err, runtime.ErrShuttingDown):
			writeError(w, http.StatusServiceUnavailable, "ShuttingDownError", err.Error())
		case errors.Is(err, runtime.ErrNoEndpoint):
			writeError(w, http.StatusNotFound, "NotFoundError", "no endpoint "+scripts.Elide(key))
		default:
			// The failure, with its line, is in the server log: the
			// script's error text is not the client's to read.
			writeError(w, http.StatusInternalServerError, "ScriptError", "the endpoint's script failed: the server log says why (request_id "+id+")")
		}
	}
}

// writeResponse writes the script's answer: its code, its headers, and its
// body with a Content-Type unless the script set one: application/json for
// a table, else the endpoint's declared content type, else text/plain.
// luaapi has refused headers HTTP cannot carry.
func writeResponse(w http.ResponseWriter, resp *runtime.Response, declared string) {
	h := w.Header()
	for name, value := range resp.Headers {
		h.Set(name, value)
	}
	if resp.Body != nil && h.Get("Content-Type") == "" {
		// The shared values save an allocation a request; net/http only
		// reads them.
		switch {
		case resp.JSON:
			h["Content-Type"] = jsonContentType
		case declared != "":
			h.Set("Content-Type", declared)
		default:
			h["Content-Type"] = textContentType
		}
	}
	w.WriteHeader(resp.Code)
	// A 204 or 304, or an answer to HEAD, has no body: net/http drops it.
	_, _ = w.Write(resp.Body)
}

// isJSONType reports whether a body of the request's content type, or,
// when it sends none, of the endpoint's declared one, is JSON. An endpoint
// that declares none takes JSON, as the platform's default content type.
func isJSONType(sent, declared string) bool {
	ct := sent
	if ct == "" {
		ct = declared
	}
	if ct == "" {
		return true
	}
	media, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return media == "application/json" || strings.HasSuffix(media, "+json")
}

// httpURI rebuilds the full URI an HTTP request asked for.
func httpURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}
