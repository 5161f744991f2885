package endpoints

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Answers are read by programs, not pasted into HTML: "<" stays "<".
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxErrorBytes bounds an error message, whatever input it repeats.
const maxErrorBytes = 1024

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, wire.Error{Type: typ, Message: scripts.Truncate(msg, maxErrorBytes), Status: status})
}

// writeErr maps err to its status: a list of script problems is a 400 with
// details, a socket error keeps the status scripts see for it.
func writeErr(w http.ResponseWriter, err error) {
	var problems scripts.Problems
	if errors.As(err, &problems) {
		writeJSON(w, http.StatusBadRequest, wire.Error{
			Type: "ValidationError", Message: "the solution has errors; nothing was changed",
			Status: http.StatusBadRequest, Details: problems,
		})
		return
	}
	if errors.Is(err, scripts.ErrRevisionConflict) {
		writeError(w, http.StatusConflict, "ConflictError", err.Error())
		return
	}
	var se statusError
	if errors.As(err, &se) {
		writeError(w, se.status, se.typ, se.Error())
		return
	}
	typ, status := hub.Classify(err)
	writeError(w, status, typ, err.Error())
}

// statusError is a management request refused with an HTTP status of its
// own: one the API cannot read (400), a missing endpoint, module or event
// handler (404), a body over its limit (413).
type statusError struct {
	status int
	typ    string
	error
}

func (e statusError) Unwrap() error { return e.error }

func badRequest(err error) error {
	return statusError{http.StatusBadRequest, "BadRequestError", err}
}

func missing(format string, args ...any) error {
	return statusError{http.StatusNotFound, "NotFoundError", fmt.Errorf(format, args...)}
}

func tooLarge(err error) error {
	return statusError{http.StatusRequestEntityTooLarge, "TooLargeError", err}
}
