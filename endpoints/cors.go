package endpoints

import (
	"net/http"
	"strings"

	"github.com/luagate/luagate/scripts"
)

// corsHeaders adds the CORS headers of an HTTP endpoint's answer when the
// request's Origin is one services/webservice.yaml allows, and reports
// whether it is. A request from another origin is still answered, without
// them: the browser then keeps the answer from the page.
func corsHeaders(w http.ResponseWriter, r *http.Request, c *scripts.CORSPolicy) bool {
	origin := r.Header.Get("Origin")
	if c == nil || origin == "" || !c.Allows(origin) {
		return false
	}
	h := w.Header()
	// The origin itself, not "*": a browser refuses "*" with credentials,
	// and caches must keep answers to different origins apart.
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if c.Credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ", "))
	}
	return true
}

// isPreflight tells a browser's CORS preflight from an OPTIONS request a
// client means for the endpoint.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers an OPTIONS request on a path with no OPTIONS endpoint
// of its own; the router has set Allow to the path's methods. A CORS
// preflight from an allowed origin gets the methods and headers it may
// use: cors.methods, or else the path's; cors.headers, or else those it
// asked for. One from another origin is refused with 403.
func preflight(c *scripts.CORSPolicy) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		answerWithoutBody(w, r)
		if !isPreflight(r) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !corsHeaders(w, r, c) {
			writeError(w, http.StatusForbidden, "OriginError", "origin "+scripts.Elide(r.Header.Get("Origin"))+" is not allowed")
			return
		}
		h := w.Header()
		methods := h.Get("Allow")
		if len(c.Methods) > 0 {
			methods = strings.Join(c.Methods, ", ")
		}
		h.Set("Access-Control-Allow-Methods", methods)
		headers := r.Header.Get("Access-Control-Request-Headers")
		if len(c.Headers) > 0 {
			headers = strings.Join(c.Headers, ", ")
		}
		if headers != "" {
			h.Set("Access-Control-Allow-Headers", headers)
		}
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
	}
}
