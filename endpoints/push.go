package endpoints

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// maxPushRequestBytes bounds a push API body: a message of 64 KiB to a
// thousand recipients of 256 bytes, with room for JSON.
const maxPushRequestBytes = 512 << 10

// pushRoutes are the push API's routes, when push is on.
func (s *Server) pushRoutes(r *httprouter.Router) {
	if s.cfg.Push == nil {
		return
	}
	pushOnly, listing := []auth.Scope{auth.ScopePush}, []auth.Scope{auth.ScopeRead, auth.ScopePush}
	for _, route := range []struct {
		method, path string
		scopes       []auth.Scope
		h            httprouter.Handle
	}{
		{http.MethodPost, wire.PathPushRecipients, pushOnly, s.postRecipient},
		{http.MethodDelete, wire.PathPushRecipients + "/:recipient/tokens", pushOnly, s.deleteRecipientTokens},
		{http.MethodPost, wire.PathPushMessages, pushOnly, s.postPushMessages},
		{http.MethodGet, wire.PathPushMessages, listing, s.getPushMessages},
		{http.MethodGet, wire.PathPushMessages + "/:id", listing, s.getPushMessage},
		{http.MethodDelete, wire.PathPushMessages + "/:id", pushOnly, s.deletePushMessage},
		{http.MethodPost, wire.PathPushGlobal, pushOnly, s.postPushGlobal},
		{http.MethodGet, wire.PathPushGlobal, listing, s.getPushGlobals},
		{http.MethodGet, wire.PathPushGlobal + "/:id", listing, s.getPushGlobal},
		{http.MethodPost, wire.PathPushGraphQL, listing, s.postPushGraphQL},
	} {
		r.Handle(route.method, wire.Prefix+route.path, s.guardAny(route.scopes, route.h))
	}
}

// guardAny requires the admin token or an API key with one of scopes.
func (s *Server) guardAny(scopes []auth.Scope, h httprouter.Handle) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		var err error
		for _, sc := range scopes {
			if err = s.authorize(r, sc); err == nil {
				h(w, r, ps)
				return
			}
		}
		s.refuseAuth(w, r.URL.Path, err)
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func pushMessageView(m *push.Message) wire.PushMessage {
	return wire.PushMessage{ID: m.ID, Recipient: m.Recipient, Message: m.Message, Topic: optional(m.Topic),
		Status: string(m.Status), ExpiresAt: optionalTime(m.ExpiresAt), CreatedAt: m.CreatedAt,
		DeliveredAt: optionalTime(m.DeliveredAt), CancelledAt: optionalTime(m.CancelledAt),
		ExpiredAt: optionalTime(m.ExpiredAt), GlobalMessageID: optional(m.GlobalMessageID)}
}

func pushGlobalView(g *push.Global) wire.PushGlobalMessage {
	return wire.PushGlobalMessage{ID: g.ID, Message: g.Message, Topic: optional(g.Topic),
		ExpiresAt: optionalTime(g.ExpiresAt), CreatedAt: g.CreatedAt}
}

// readPush reads a push API body into v.
func readPush(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r, maxPushRequestBytes)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}

func (s *Server) postRecipient(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	var req wire.PushRecipient
	if err := readPush(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	reg, err := s.cfg.Push.Register(auth.TokenSpec{Recipient: req.Recipient, SourceIP: req.SourceIP,
		Origin: req.Origin, Topic: req.Topic, ExpiresIn: time.Duration(req.ExpiresIn) * time.Second}, r.Host, r.TLS != nil)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.PushRegistration{Token: reg.Token, ConnectionURI: reg.ConnectionURI})
}

// RevokePush revokes every push token of recipient and closes the sockets
// they opened; it answers how many of each.
func (s *Server) RevokePush(recipient string) (revoked, closed int, err error) {
	if revoked, err = s.cfg.Push.Revoke(recipient); err != nil {
		return 0, 0, err
	}
	closed = s.hub.DisconnectIf(hub.CloseCredentialRevoked, func(c *hub.Conn) bool {
		return c.UserID == recipient && c.Auth != nil && c.Auth.Scheme == string(auth.SchemeToken)
	})
	return revoked, closed, nil
}

func (s *Server) deleteRecipientTokens(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	revoked, closed, err := s.RevokePush(ps.ByName("recipient"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Revoked int `json:"revoked"`
		Closed  int `json:"closed"`
	}{revoked, closed})
}

// parsePushTime reads an optional expires_at.
func parsePushTime(t wire.PushTime) (time.Time, error) {
	if t == "" {
		return time.Time{}, nil
	}
	at, err := push.ParseTime(string(t))
	if err != nil {
		return time.Time{}, fmt.Errorf("expires_at: %w", err)
	}
	return at, nil
}

// PushItems turns a push's items into the seed's {item, error} shape.
func PushItems(items []push.Item) []wire.PushItem {
	out := make([]wire.PushItem, len(items))
	for i, it := range items {
		if it.Err != nil {
			typ, status := hub.Classify(it.Err)
			out[i].Error = &wire.PushError{Recipient: it.Recipient, Type: typ, Message: it.Err.Error(), Status: status}
			continue
		}
		v := pushMessageView(it.Message)
		out[i].Item = &v
	}
	return out
}

func (s *Server) postPushMessages(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	var req wire.PushSend
	if err := readPush(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	at, err := parsePushTime(req.ExpiresAt)
	var items []push.Item
	if err == nil {
		items, err = s.cfg.Push.Send(push.SendRequest{Recipients: req.Recipients, Message: req.Message, Topic: req.Topic, ExpiresAt: at})
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	out := PushItems(items)
	// One recipient's failure is its item's; only when every one failed
	// does the answer say so, with the first one's status.
	status := http.StatusOK
	if len(out) > 0 && out[0].Error != nil {
		status = out[0].Error.Status
		for _, it := range out {
			if it.Error == nil {
				status = http.StatusOK
				break
			}
		}
	}
	writeJSON(w, status, out)
}

func (s *Server) postPushGlobal(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	var req wire.PushGlobalSend
	if err := readPush(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	at, err := parsePushTime(req.ExpiresAt)
	var g push.Global
	if err == nil {
		g, err = s.cfg.Push.Global(push.GlobalRequest{Message: req.Message, Topic: req.Topic, ExpiresAt: at})
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, pushGlobalView(&g))
}

func (s *Server) getPushMessage(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	m, err := s.cfg.Push.Get(ps.ByName("id"))
	if err != nil {
		writeErr(w, fmt.Errorf("message %s: %w", scripts.Elide(ps.ByName("id")), err))
		return
	}
	writeJSON(w, http.StatusOK, pushMessageView(&m))
}

func (s *Server) getPushGlobal(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	g, err := s.cfg.Push.GetGlobal(ps.ByName("id"))
	if err != nil {
		writeErr(w, fmt.Errorf("global message %s: %w", scripts.Elide(ps.ByName("id")), err))
		return
	}
	writeJSON(w, http.StatusOK, pushGlobalView(&g))
}

func (s *Server) deletePushMessage(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	m, err := s.cfg.Push.Cancel(ps.ByName("id"))
	if err != nil {
		writeErr(w, fmt.Errorf("cancel message %s: %w", scripts.Elide(ps.ByName("id")), err))
		return
	}
	writeJSON(w, http.StatusOK, pushMessageView(&m))
}

// pushQuery reads a listing's query parameters.
func pushQuery(q url.Values) (push.Query, error) {
	pq := push.Query{NextToken: q.Get("next_token"), Filter: push.Filter{
		Recipient: q.Get("recipient"), GlobalMessageID: q.Get("global_message_id"), Topic: q.Get("topic"),
	}}
	if v := q.Get("status"); v != "" {
		st, err := push.ParseStatus(v)
		if err != nil {
			return pq, err
		}
		pq.Filter.Status = st
	}
	for _, t := range []struct {
		name string
		into *time.Time
	}{
		{"created_from", &pq.Filter.Created.From}, {"created_to", &pq.Filter.Created.To},
		{"expires_from", &pq.Filter.Expires.From}, {"expires_to", &pq.Filter.Expires.To},
	} {
		if v := q.Get(t.name); v != "" {
			at, err := push.ParseTime(v)
			if err != nil {
				return pq, fmt.Errorf("%s: %w", t.name, err)
			}
			*t.into = at
		}
	}
	var err error
	pq.Limit, err = pageLimit(q, push.MaxPage, push.ErrBadRequest)
	return pq, err
}

func (s *Server) getPushMessages(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	q, err := pushQuery(r.URL.Query())
	var page push.Page
	if err == nil {
		page, err = s.cfg.Push.Messages(q)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	out := wire.PushMessages{Messages: make([]wire.PushMessage, len(page.Messages)), NextToken: page.NextToken}
	for i := range page.Messages {
		out.Messages[i] = pushMessageView(&page.Messages[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPushGlobals(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	q, err := pushQuery(r.URL.Query())
	if err == nil && (q.Filter.Recipient != "" || q.Filter.GlobalMessageID != "" || q.Filter.Status != "") {
		err = fmt.Errorf("global messages are filtered by topic, created and expiry times only: %w", push.ErrBadRequest)
	}
	var page push.GlobalPage
	if err == nil {
		page, err = s.cfg.Push.Globals(q)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	out := wire.PushGlobalMessages{GlobalMessages: make([]wire.PushGlobalMessage, len(page.Globals)), NextToken: page.NextToken}
	for i := range page.Globals {
		out.GlobalMessages[i] = pushGlobalView(&page.Globals[i])
	}
	writeJSON(w, http.StatusOK, out)
}
