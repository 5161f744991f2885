package runtime

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/luagate/luagate/hub"
)

// Session statuses.
const (
	SessionActive = "active"
	SessionClosed = "closed"
)

// MaxSessionPage is the most sessions one page holds.
const MaxSessionPage = 1000

// ErrUnknownSession: no session, active or kept, has the id.
var ErrUnknownSession = errors.New("no such session")

// ErrBadSessionQuery: a session query's filter or token is malformed.
var ErrBadSessionQuery = errors.New("bad session query")

// Session is one socket's life: while it is open, as the hub describes
// it; once closed, as it ended.
type Session struct {
	SocketID, Route, UserID, SessionName, RemoteAddr, Subprotocol string
	ConnectedAt                                                   time.Time
	// ClosedAt, CloseCode and CloseReason are zero while the socket is
	// open.
	ClosedAt                                   time.Time
	CloseCode                                  int
	CloseReason                                string
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64
	// Status is SessionActive or SessionClosed.
	Status string
}

// SessionFilter selects sessions; an empty field selects all.
type SessionFilter struct {
	Status, Route, UserID, SessionName string
	// Since and Until bound ConnectedAt, both included.
	Since, Until time.Time
}

// SessionCursor is where a page of sessions ends: sessions are ordered
// newest first by ConnectedAt, then by SocketID descending, and the next
// page starts after the cursor's. The zero cursor is the start.
type SessionCursor struct {
	ConnectedAt time.Time
	SocketID    string
}

// IsZero reports whether c is the start.
func (c SessionCursor) IsZero() bool { return c.ConnectedAt.IsZero() && c.SocketID == "" }

// Before reports whether s comes after the cursor in the order of pages,
// that is, whether it is older. Every session is after the zero cursor.
func (c SessionCursor) Before(s *Session) bool {
	return c.IsZero() || compareSessions(s, c.ConnectedAt, c.SocketID) > 0
}

// compareSessions orders s against a position newest first: negative when
// s is newer than (at, id).
func compareSessions(s *Session, at time.Time, id string) int {
	if c := at.Compare(s.ConnectedAt); c != 0 {
		return c
	}
	return cmp.Compare(id, s.SocketID)
}

// Match reports whether f selects s.
func (f *SessionFilter) Match(s *Session) bool {
	return (f.Status == "" || f.Status == s.Status) &&
		(f.Route == "" || f.Route == s.Route) &&
		(f.UserID == "" || f.UserID == s.UserID) &&
		(f.SessionName == "" || f.SessionName == s.SessionName) &&
		(f.Since.IsZero() || !s.ConnectedAt.Before(f.Since)) &&
		(f.Until.IsZero() || !s.ConnectedAt.After(f.Until))
}

// SessionStore keeps closed sessions. Package storage implements it with
// bbolt.
type SessionStore interface {
	// PutSessions adds closed sessions and then drops the oldest (by
	// ConnectedAt) beyond keep.
	PutSessions(sessions []Session, keep int) error
	// ClosedSessions returns, newest first, up to limit kept sessions that
	// f matches and come after the cursor.
	ClosedSessions(f SessionFilter, after SessionCursor, limit int) ([]Session, error)
	// ClosedSession returns the kept session id, or an error wrapping
	// ErrUnknownSession.
	ClosedSession(id string) (Session, error)
}

// SessionQuery asks for a page of sessions.
type SessionQuery struct {
	SessionFilter
	// Limit is the page's size: zero or more than MaxSessionPage means
	// MaxSessionPage.
	Limit int
	// NextToken is the previous page's, "" for the first page.
	NextToken string
}

// SessionPage is a page of sessions, newest first. NextToken is "" on the
// last page.
type SessionPage struct {
	Sessions  []Session
	NextToken string
}

// EncodeCursor makes c a page token. Tokens are opaque to clients.
func EncodeCursor(c SessionCursor) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(c.ConnectedAt.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(b, c.SocketID...))
}

// DecodeCursor reads a token EncodeCursor made.
func DecodeCursor(token string) (SessionCursor, error) {
	if token == "" {
		return SessionCursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 8 {
		return SessionCursor{}, fmt.Errorf("%w: next_token %q is not one this server gave", ErrBadSessionQuery, token)
	}
	return SessionCursor{ConnectedAt: time.Unix(0, int64(binary.BigEndian.Uint64(b))), SocketID: string(b[8:])}, nil
}

// activeSession is the session of an open socket.
func activeSession(sn hub.Snapshot) Session {
	return Session{
		SocketID: sn.ID, Route: sn.Route, UserID: sn.UserID, SessionName: sn.SessionName,
		RemoteAddr: sn.RemoteAddr, Subprotocol: sn.Subprotocol, ConnectedAt: sn.ConnectedAt,
		MessagesIn: sn.MessagesIn, MessagesOut: sn.MessagesOut, BytesIn: sn.BytesIn, BytesOut: sn.BytesOut,
		Status: SessionActive,
	}
}

// Sessions returns a page of sessions: the open ones from the hub, the
// closed ones from the history. A socket that closes between two pages
// keeps its place in the order, so paging neither repeats nor skips it.
func (e *Engine) Sessions(q SessionQuery) (SessionPage, error) {
	switch q.Status {
	case "", SessionActive, SessionClosed:
	default:
		return SessionPage{}, fmt.Errorf("%w: status %q is not %q or %q", ErrBadSessionQuery, q.Status, SessionActive, SessionClosed)
	}
	if q.Limit < 0 {
		return SessionPage{}, fmt.Errorf("%w: limit %d is negative", ErrBadSessionQuery, q.Limit)
	}
	if q.Limit == 0 || q.Limit > MaxSessionPage {
		q.Limit = MaxSessionPage
	}
	after, err := DecodeCursor(q.NextToken)
	if err != nil {
		return SessionPage{}, err
	}
	// One more than the page, to know whether another page follows.
	want := q.Limit + 1
	var found []Session
	// The order matters: a closing socket's record reaches the history
	// before the hub forgets it, and the history's buffer before the store,
	// so reading in the same order sees every session at least once.
	if q.Status != SessionClosed {
		for _, sn := range e.hub.Sockets() {
			if s := activeSession(sn); q.Match(&s) && after.Before(&s) {
				found = append(found, s)
			}
		}
	}
	if q.Status != SessionActive && e.history != nil {
		closed, err := e.history.closed(q.SessionFilter, after, want)
		if err != nil {
			return SessionPage{}, err
		}
		found = append(found, closed...)
	}
	found = newestFirst(found)
	page := SessionPage{Sessions: found}
	if len(found) > q.Limit {
		page.Sessions = found[:q.Limit]
		last := page.Sessions[q.Limit-1]
		page.NextToken = EncodeCursor(SessionCursor{ConnectedAt: last.ConnectedAt, SocketID: last.SocketID})
	}
	return page, nil
}

// newestFirst sorts sessions newest first and keeps one session per
// socket, the closed one where a socket appears both open and closed.
func newestFirst(all []Session) []Session {
	slices.SortFunc(all, func(a, b Session) int {
		if c := compareSessions(&a, b.ConnectedAt, b.SocketID); c != 0 {
			return c
		}
		return cmp.Compare(b.Status, a.Status) // "closed" before "active"
	})
	return slices.CompactFunc(all, func(a, b Session) bool { return a.SocketID == b.SocketID })
}

// Session returns the session of the socket id, open or kept.
func (e *Engine) Session(id string) (Session, error) {
	if e.history != nil {
		if s, err := e.history.session(id); err == nil || !errors.Is(err, ErrUnknownSession) {
			return s, err
		}
	}
	if sn, err := e.hub.Socket(id); err == nil {
		return activeSession(sn), nil
	}
	if e.history != nil {
		// It may have closed, and reached the history, meanwhile.
		if s, err := e.history.session(id); err == nil {
			return s, nil
		}
	}
	return Session{}, fmt.Errorf("session %s: %w", id, ErrUnknownSession)
}
