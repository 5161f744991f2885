package keystore

import (
	"errors"
	"net/http"
)

// Error is a failed command as scripts see it: a type, a status and the
// message of the error that wraps it. Every error a Keystore method returns
// wraps one of the sentinels below, or is a Store's failure.
type Error struct {
	typ    string
	status int
	msg    string
}

func (e *Error) Error() string { return e.msg }

// ErrorStatus is the type and HTTP status scripts see in the error table.
func (e *Error) ErrorStatus() (string, int) { return e.typ, e.status }

func newError(typ string, status int, msg string) *Error {
	return &Error{typ: typ, status: status, msg: msg}
}

// Sentinel errors, for errors.Is.
var (
	// ErrWrongType: the command does not apply to the kind of value the key
	// holds.
	ErrWrongType = newError("WrongTypeError", http.StatusBadRequest, "WRONGTYPE Operation against a key holding the wrong kind of value")
	// ErrNotInteger: an argument or the stored value is not a 64-bit
	// integer, or the result would overflow one.
	ErrNotInteger = newError("ArgumentError", http.StatusBadRequest, "value is not an integer or out of range")
	// ErrNotFloat: an argument or the stored value is not a finite number.
	ErrNotFloat = newError("ArgumentError", http.StatusBadRequest, "value is not a valid float")
	// ErrSyntax: the command's arguments do not have its form.
	ErrSyntax = newError("ArgumentError", http.StatusBadRequest, "syntax error")
	// ErrArity: the command got too few or too many arguments.
	ErrArity = newError("ArgumentError", http.StatusBadRequest, "wrong number of arguments")
	// ErrUnknownCommand: the command is not one Keystore provides.
	ErrUnknownCommand = newError("ArgumentError", http.StatusBadRequest, "unknown or unsupported command")
	// ErrBadKey: the key is empty or longer than MaxKeyBytes.
	ErrBadKey = newError("ArgumentError", http.StatusBadRequest, "bad key")
	// ErrNoSuchKey: lset on a key that holds nothing.
	ErrNoSuchKey = newError("NotFoundError", http.StatusNotFound, "no such key")
	// ErrIndexRange: lset past the end of the list.
	ErrIndexRange = newError("ArgumentError", http.StatusBadRequest, "index out of range")
	// ErrQuota: a write would pass one of the limits.
	ErrQuota = newError("QuotaExceededError", http.StatusBadRequest, "keystore quota exceeded")
	// ErrCorrupt: a stored entry cannot be decoded.
	ErrCorrupt = errors.New("keystore entry is corrupt")
)
