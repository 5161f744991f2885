package endpoints

import (
	"errors"
	"net/http"
	"testing"

	"github.com/luagate/luagate/scripts"
)

// FuzzManagementBodies decodes arbitrary bodies the way the management API
// does (a whole solution, one endpoint as JSON, or raw Lua with headers) and
// compiles what decodes: nothing may panic, and every refusal is an error of
// a kind the API can answer with a 4xx.
func FuzzManagementBodies(f *testing.F) {
	for _, seed := range []string{
		`{"endpoints":[{"path":"/a/{b}","script":"return 1"}],"modules":{"m":"return {}"},"eventhandlers":{}}`,
		`{"path":"/x","script":"if then"}`,
		"--#ENDPOINT WEBSOCKET /x\nreturn 1\n--#ENDPOINT GET /y\n",
		`{"endpoints":[{"path":"/a/{x}"},{"path":"/a/b"}]}`,
		`{"unknown":1}`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var sol scripts.Solution
		if isJSONObject(body) {
			var ep scripts.Endpoint
			errSol := decodeJSON(body, &sol)
			errEp := decodeJSON(body, &ep)
			for _, err := range []error{errSol, errEp} {
				var bad statusError
				if err != nil && (!errors.As(err, &bad) || bad.status != http.StatusBadRequest) {
					t.Fatalf("decode error %v is not a bad request", err)
				}
			}
			if errEp == nil {
				sol.PutEndpoints(ep)
			}
		} else {
			eps, err := scripts.ParseEndpoints("body", string(body))
			var problems scripts.Problems
			if err != nil && !errors.As(err, &problems) {
				t.Fatalf("parse error %v is not a list of problems", err)
			}
			sol.PutEndpoints(eps...)
		}
		if _, err := scripts.Compile(sol); err != nil {
			var problems scripts.Problems
			if !errors.As(err, &problems) || len(problems) == 0 {
				t.Fatalf("compile error %v is not a list of problems", err)
			}
		}
	})
}
