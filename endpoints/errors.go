package endpoints

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// apiError is the one error shape of the management API, the same as the
// error tables scripts receive.
type apiError struct {
	Type    string            `json:"type"`
	Error   string            `json:"error"`
	Status  int               `json:"status"`
	Details []scripts.Problem `json:"details,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, apiError{Type: typ, Error: msg, Status: status})
}

// writeErr maps err to its status: a list of script problems is a 400 with
// details, a socket error keeps the status scripts see for it.
func writeErr(w http.ResponseWriter, err error) {
	var problems scripts.Problems
	if errors.As(err, &problems) {
		writeJSON(w, http.StatusBadRequest, apiError{
			Type: "ValidationError", Error: "the solution has errors; nothing was changed",
			Status: http.StatusBadRequest, Details: problems,
		})
		return
	}
	var bad badRequest
	if errors.As(err, &bad) {
		writeError(w, http.StatusBadRequest, "BadRequestError", bad.Error())
		return
	}
	var missing notFoundError
	if errors.As(err, &missing) {
		writeError(w, http.StatusNotFound, "NotFoundError", missing.Error())
		return
	}
	var big tooLarge
	if errors.As(err, &big) {
		writeError(w, http.StatusRequestEntityTooLarge, "TooLargeError", big.Error())
		return
	}
	typ, status := luaapi.Classify(err)
	writeError(w, status, typ, err.Error())
}

// notFoundError is a missing endpoint, module or event handler.
type notFoundError string

func (e notFoundError) Error() string { return string(e) }

// tooLarge is a request body over its limit.
type tooLarge struct{ error }

// badRequest is a request the API cannot read.
type badRequest struct{ error }

func (b badRequest) Unwrap() error { return b.error }
