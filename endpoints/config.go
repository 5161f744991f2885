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
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var cfg scripts.Config
	if err := decodeJSON(b, &cfg); err != nil {
		writeErr(w, err)
		return
	}
	s.respondChange(w, func(sol *scripts.Solution) error {
		sol.Config = cfg
		return nil
	})
}
