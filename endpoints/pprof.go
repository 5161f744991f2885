package endpoints

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/luagate/luagate/auth"
)

// PprofPrefix is where the admin listener serves the Go runtime's
// profiles, so that anyone with the admin token can profile a running
// server. Only the admin listener serves it: it holds no solution paths
// the prefix could take from a solution.
const PprofPrefix = "/debug/pprof/"

// pprofHandler serves net/http/pprof's pages, for a credential with the
// admin scope only: profiles show the process's code, goroutines and
// memory.
func (s *Server) pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PprofPrefix, pprof.Index)
	mux.HandleFunc(PprofPrefix+"cmdline", pprof.Cmdline)
	mux.HandleFunc(PprofPrefix+"profile", pprof.Profile)
	mux.HandleFunc(PprofPrefix+"symbol", pprof.Symbol)
	mux.HandleFunc(PprofPrefix+"trace", pprof.Trace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r, auth.ScopeAdmin); err != nil {
			answerWithoutBody(w, r)
			s.refuseAuth(w, PprofPrefix, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func isPprof(path string) bool { return strings.HasPrefix(path, PprofPrefix) }
