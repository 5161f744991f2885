// Package session is the model of session history: the record of one
// socket's life, the filters and page cursors that select records, and the
// Store that keeps closed ones. runtime produces records and answers
// queries; storage implements Store with bbolt. It imports only the
// standard library, so a store needs nothing of sockets or Lua.
package session

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Record statuses.
const (
	Active = "active"
	Closed = "closed"
)

// MaxPage is the most sessions one page holds.
const MaxPage = 1000

// ErrUnknown: no session, active or kept, has the id.
var ErrUnknown = errors.New("no such session")

// ErrBadQuery: a session query's filter or token is malformed.
var ErrBadQuery = errors.New("bad session query")

// Record is one socket's life: while it is open, as the hub describes
// it; once closed, as it ended.
type Record struct {
	SocketID, Route, UserID, SessionName, RemoteAddr, Subprotocol string
	ConnectedAt                                                   time.Time
	// ClosedAt, CloseCode and CloseReason are zero while the socket is
	// open.
	ClosedAt                                   time.Time
	CloseCode                                  int
	CloseReason                                string
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64
	// Status is Active or Closed.
	Status string
	// Backend counts a proxy socket's frames to and from its backend; nil
	// for a socket without one.
	Backend *Backend
}

// Backend counts the frames a proxy socket relayed: up, from its client
// to its backend; down, from the backend.
type Backend struct {
	FramesUp   uint64 `json:"frames_up"`
	FramesDown uint64 `json:"frames_down"`
	BytesUp    uint64 `json:"bytes_up"`
	BytesDown  uint64 `json:"bytes_down"`
}

// Filter selects sessions; an empty field selects all.
type Filter struct {
	Status, Route, UserID, SessionName string
	// Since and Until bound ConnectedAt, both included.
	Since, Until time.Time
}

// Cursor is where a page of sessions ends: sessions are ordered
// newest first by ConnectedAt, then by SocketID descending, and the next
// page starts after the cursor's. The zero cursor is the start.
type Cursor struct {
	ConnectedAt time.Time
	SocketID    string
}

// IsZero reports whether c is the start.
func (c Cursor) IsZero() bool { return c.ConnectedAt.IsZero() && c.SocketID == "" }

// Before reports whether s comes after the cursor in the order of pages,
// that is, whether it is older. Every session is after the zero cursor.
func (c Cursor) Before(s *Record) bool {
	return c.IsZero() || compare(s, c.ConnectedAt, c.SocketID) > 0
}

// Compare orders records newest first: negative when a is newer than b.
func Compare(a, b *Record) int { return compare(a, b.ConnectedAt, b.SocketID) }

// compare orders s against a position newest first: negative when
// s is newer than (at, id).
func compare(s *Record, at time.Time, id string) int {
	if c := at.Compare(s.ConnectedAt); c != 0 {
		return c
	}
	return cmp.Compare(id, s.SocketID)
}

// Match reports whether f selects s.
func (f *Filter) Match(s *Record) bool {
	return (f.Status == "" || f.Status == s.Status) &&
		(f.Route == "" || f.Route == s.Route) &&
		(f.UserID == "" || f.UserID == s.UserID) &&
		(f.SessionName == "" || f.SessionName == s.SessionName) &&
		(f.Since.IsZero() || !s.ConnectedAt.Before(f.Since)) &&
		(f.Until.IsZero() || !s.ConnectedAt.After(f.Until))
}

// Store keeps closed sessions. Package storage implements it with
// bbolt.
type Store interface {
	// PutSessions adds closed sessions and then drops the oldest (by
	// ConnectedAt) beyond keep.
	PutSessions(sessions []Record, keep int) error
	// ClosedSessions returns, newest first, up to limit kept sessions that
	// f matches and come after the cursor.
	ClosedSessions(f Filter, after Cursor, limit int) ([]Record, error)
	// ClosedSession returns the kept session id, or an error wrapping
	// ErrUnknown.
	ClosedSession(id string) (Record, error)
}

// Query asks for a page of sessions.
type Query struct {
	Filter
	// Limit is the page's size: zero or more than MaxPage means
	// MaxPage.
	Limit int
	// NextToken is the previous page's, "" for the first page.
	NextToken string
}

// Page is a page of sessions, newest first. NextToken is "" on the
// last page.
type Page struct {
	Sessions  []Record
	NextToken string
}

// EncodeCursor makes c a page token. Tokens are opaque to clients.
func EncodeCursor(c Cursor) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(c.ConnectedAt.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(b, c.SocketID...))
}

// DecodeCursor reads a token EncodeCursor made.
func DecodeCursor(token string) (Cursor, error) {
	if token == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 8 {
		return Cursor{}, fmt.Errorf("%w: next_token %q is not one this server gave", ErrBadQuery, token)
	}
	return Cursor{ConnectedAt: time.Unix(0, int64(binary.BigEndian.Uint64(b))), SocketID: string(b[8:])}, nil
}
