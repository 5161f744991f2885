package files

import "net/http"

// Error is a refused file operation. It names the type and HTTP status
// scripts and the management API report it with.
type Error struct {
	typ    string
	status int
	msg    string
}

func (e *Error) Error() string { return e.msg }

// ErrorStatus implements luaapi.StatusError.
func (e *Error) ErrorStatus() (string, int) { return e.typ, e.status }

// The errors of file operations; they come wrapped with what was refused.
var (
	// ErrBadName: a name that is not one path element of 1 to MaxNameBytes
	// bytes (400).
	ErrBadName = &Error{"ArgumentError", http.StatusBadRequest, "bad file name"}
	// ErrNotFound: no such file, or no such link, or one that expired (404).
	ErrNotFound = &Error{"NotFoundError", http.StatusNotFound, "no such file"}
	// ErrQuota: the file would take the socket, or all sockets, past their
	// quota (413).
	ErrQuota = &Error{"TooLargeError", http.StatusRequestEntityTooLarge, "over the file quota"}
)
