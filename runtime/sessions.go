package runtime

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/session"
)

// activeSession is the session of an open socket.
func activeSession(sn hub.Snapshot) session.Record {
	return session.Record{
		SocketID: sn.ID, Route: sn.Route, UserID: sn.UserID, SessionName: sn.SessionName,
		RemoteAddr: sn.RemoteAddr, Subprotocol: sn.Subprotocol, ConnectedAt: sn.ConnectedAt,
		MessagesIn: sn.MessagesIn, MessagesOut: sn.MessagesOut, BytesIn: sn.BytesIn, BytesOut: sn.BytesOut,
		Status: session.Active, Backend: sn.Backend,
	}
}

// Sessions returns a page of sessions: the open ones from the hub, the
// closed ones from the history. A socket that closes between two pages
// keeps its place in the order, so paging neither repeats nor skips it.
func (e *Engine) Sessions(q session.Query) (session.Page, error) {
	switch q.Status {
	case "", session.Active, session.Closed:
	default:
		return session.Page{}, fmt.Errorf("%w: status %q is not %q or %q", session.ErrBadQuery, q.Status, session.Active, session.Closed)
	}
	if q.Limit < 0 {
		return session.Page{}, fmt.Errorf("%w: limit %d is negative", session.ErrBadQuery, q.Limit)
	}
	if q.Limit == 0 || q.Limit > session.MaxPage {
		q.Limit = session.MaxPage
	}
	after, err := session.DecodeCursor(q.NextToken)
	if err != nil {
		return session.Page{}, err
	}
	// One more than the page, to know whether another page follows.
	want := q.Limit + 1
	var found []session.Record
	// The order matters: a closing socket's record reaches the history
	// before the hub forgets it, and the history's buffer before the store,
	// so reading in the same order sees every session at least once.
	if q.Status != session.Closed {
		for _, sn := range e.hub.Sockets() {
			if s := activeSession(sn); q.Match(&s) && after.Before(&s) {
				found = append(found, s)
			}
		}
	}
	if q.Status != session.Active && e.history != nil {
		closed, err := e.history.closed(q.Filter, after, want)
		if err != nil {
			return session.Page{}, err
		}
		found = append(found, closed...)
	}
	found = newestFirst(found)
	page := session.Page{Sessions: found}
	if len(found) > q.Limit {
		page.Sessions = found[:q.Limit]
		last := page.Sessions[q.Limit-1]
		page.NextToken = session.EncodeCursor(session.Cursor{ConnectedAt: last.ConnectedAt, SocketID: last.SocketID})
	}
	return page, nil
}

// newestFirst sorts sessions newest first and keeps one session per
// socket, the closed one where a socket appears both open and closed.
func newestFirst(all []session.Record) []session.Record {
	slices.SortFunc(all, func(a, b session.Record) int {
		if c := session.Compare(&a, &b); c != 0 {
			return c
		}
		return cmp.Compare(b.Status, a.Status) // "closed" before "active"
	})
	return slices.CompactFunc(all, func(a, b session.Record) bool { return a.SocketID == b.SocketID })
}

// Session returns the session of the socket id, open or kept.
func (e *Engine) Session(id string) (session.Record, error) {
	if e.history != nil {
		if s, err := e.history.session(id); err == nil || !errors.Is(err, session.ErrUnknown) {
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
	return session.Record{}, fmt.Errorf("session %s: %w", id, session.ErrUnknown)
}
