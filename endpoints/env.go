package endpoints

import (
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/scripts"
)

// envView is what GET /api/v1/solution/env answers: the names that have a
// value and the schema, never the values, which may be secrets.
type envView struct {
	Names  []string           `json:"names"`
	SHA256 string             `json:"sha256,omitempty"`
	Schema *scripts.EnvSchema `json:"schema,omitempty"`
}

func (s *Server) getEnv(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	c := s.cfg.Engine.Solution()
	writeJSON(w, http.StatusOK, envView{
		Names:  append([]string{}, slices.Sorted(maps.Keys(c.Env))...),
		SHA256: scripts.EnvDigest(c.Solution.Env),
		Schema: c.Solution.EnvSchema,
	})
}

// putEnv replaces the environment's values with a JSON object of names
// to strings, numbers or booleans; the solution is compiled again, so
// values the schema refuses change nothing.
func (s *Server) putEnv(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var raw map[string]any
	if err := decodeJSON(b, &raw); err != nil {
		writeErr(w, err)
		return
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v.(type) {
		case string, float64, bool:
			env[k] = fmt.Sprint(v)
		default:
			writeErr(w, badRequest(fmt.Errorf("env %s: a value is a string, number or boolean, not %T", scripts.Elide(k), v)))
			return
		}
	}
	s.respondChange(w, func(sol *scripts.Solution) error {
		sol.Env = env
		return nil
	})
}

// withoutEnvValues is sol as the management API answers it: the values
// of its environment replaced by their digest.
func withoutEnvValues(sol scripts.Solution) scripts.Solution {
	sol.EnvSHA256 = scripts.EnvDigest(sol.Env)
	sol.Env = nil
	return sol
}
