package endpoints

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/session"
	"github.com/luagate/luagate/wire"
)

func sessionView(s session.Record) wire.Session {
	v := wire.Session{
		SocketID: s.SocketID, Route: s.Route, UserID: s.UserID, SessionName: s.SessionName,
		RemoteAddr: s.RemoteAddr, Subprotocol: s.Subprotocol, ConnectedAt: s.ConnectedAt,
		CloseReason: s.CloseReason, MessagesIn: s.MessagesIn, MessagesOut: s.MessagesOut,
		BytesIn: s.BytesIn, BytesOut: s.BytesOut, Status: s.Status, Backend: s.Backend,
	}
	if s.Status == session.Closed {
		at, code := s.ClosedAt, s.CloseCode
		v.ClosedAt, v.CloseCode = &at, &code
	}
	return v
}

// sessionQuery reads GET /sessions' query parameters.
func sessionQuery(q url.Values) (session.Query, error) {
	sq := session.Query{
		Filter: session.Filter{
			Status: q.Get("status"), Route: q.Get("route"), UserID: q.Get("user_id"), SessionName: q.Get("session_name"),
		},
		NextToken: q.Get("next_token"),
	}
	for _, t := range []struct {
		name string
		into *time.Time
	}{{"since", &sq.Since}, {"until", &sq.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return sq, fmt.Errorf("%s=%s: an RFC 3339 time (2026-01-02T15:04:05Z): %w", t.name, scripts.Elide(v), session.ErrBadQuery)
		}
		*t.into = at
	}
	var err error
	sq.Limit, err = pageLimit(q, session.MaxPage, session.ErrBadQuery)
	return sq, err
}

// pageLimit reads a listing's limit, from 1 to max (zero when not given),
// and wraps bad, a sentinel the caller answers 400 for, when it is wrong.
func pageLimit(q url.Values, max int, bad error) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("limit=%s: a number from 1 to %d: %w", scripts.Elide(v), max, bad)
	}
	return n, nil
}

func (s *Server) getSessions(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	q, err := sessionQuery(r.URL.Query())
	var page session.Page
	if err == nil {
		page, err = s.cfg.Engine.Sessions(q)
	}
	if errors.Is(err, session.ErrBadQuery) {
		err = badRequest(err)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	out := wire.Sessions{Sessions: make([]wire.Session, len(page.Sessions)), NextToken: page.NextToken}
	for i, sn := range page.Sessions {
		out.Sessions[i] = sessionView(sn)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getSession(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	id := ps.ByName("id")
	sn, err := s.cfg.Engine.Session(id)
	if errors.Is(err, session.ErrUnknown) {
		err = missing("no session %s", scripts.Elide(id))
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionView(sn))
}
