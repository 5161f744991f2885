package endpoints

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/scripts"
)

// getConfig answers the solution's config: its rate policies and endpoint
// defaults, as services/websocket.yaml holds them in a project.
func (s *Server) getConfig(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, s.current().Config)
}

// putConfig replaces the solution's config. Every endpoint is compiled
// again against it, so a policy an endpoint names cannot be removed.
func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	putPart(s, w, r, func(sol *scripts.Solution, cfg scripts.Config) { sol.Config = cfg })
}

// getWebservice answers the HTTP endpoints' configuration (CORS), as
// services/webservice.yaml holds it in a project.
func (s *Server) getWebservice(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, s.current().Webservice)
}

// putWebservice replaces the HTTP endpoints' configuration.
func (s *Server) putWebservice(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	putPart(s, w, r, func(sol *scripts.Solution, ws scripts.Webservice) { sol.Webservice = ws })
}

// putPart replaces the part of the solution set sets with the JSON body,
// through the same change as every deploy.
func putPart[T any](s *Server, w http.ResponseWriter, r *http.Request, set func(*scripts.Solution, T)) {
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var v T
	if err := decodeJSON(b, &v); err != nil {
		writeErr(w, err)
		return
	}
	s.respondChange(w, func(sol *scripts.Solution) error {
		set(sol, v)
		return nil
	})
}
