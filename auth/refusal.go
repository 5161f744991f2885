package auth

import (
	"errors"
	"fmt"
	"net/http"
)

// Refusal is a credential refused: the HTTP status of the answer (401 for a
// missing or bad credential, 403 for a valid one that may not do this), its
// error type and a message for the client.
type Refusal struct {
	Status  int
	Type    string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// unauthorized refuses a missing or bad credential.
func unauthorized(format string, a ...any) error {
	return &Refusal{http.StatusUnauthorized, "UnauthorizedError", fmt.Sprintf(format, a...)}
}

// forbidden refuses a valid credential that may not do what it asks.
func forbidden(format string, a ...any) error {
	return &Refusal{http.StatusForbidden, "ForbiddenError", fmt.Sprintf(format, a...)}
}

// Refused returns a Refusal with status, 401 or 403 (anything else is 401),
// and message: the answer of a script check.
func Refused(status int, message string) error {
	if status == http.StatusForbidden {
		return forbidden("%s", message)
	}
	return unauthorized("%s", message)
}

// AsRefusal returns the Refusal err holds, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
