package cluster

import (
	"slices"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/session"
)

// Requests for the closed sessions a node keeps.
const (
	opClosedSessions = 'H'
	opClosedSession  = 'h'
)

// sessionsRequest asks a node for its kept sessions.
type sessionsRequest struct {
	Filter session.Filter `json:"filter"`
	After  session.Cursor `json:"after"`
	Limit  int            `json:"limit"`
	ID     string         `json:"id,omitempty"`
}

// sessionStore keeps the sessions this node served in its own store, and
// reads those of every node: sessions stay where they were served.
type sessionStore struct {
	node  *Node
	local session.Store
}

// Sessions wraps local, this node's session store, so that the session
// history reads every live node's: what runtime.Config.Sessions needs. A
// session reaches the others once its node has written it, in the
// history's next batch.
func (n *Node) Sessions(local session.Store) session.Store {
	n.history = local
	return &sessionStore{node: n, local: local}
}

// PutSessions implements session.Store: this node's sessions stay here.
func (s *sessionStore) PutSessions(sessions []session.Record, keep int) error {
	return s.local.PutSessions(sessions, keep)
}

// ClosedSessions implements session.Store, gathering from every live
// node.
func (s *sessionStore) ClosedSessions(f session.Filter, after session.Cursor, limit int) ([]session.Record, error) {
	out, err := s.local.ClosedSessions(f, after, limit)
	if err != nil {
		return nil, err
	}
	n := s.node
	n.fromPeers("sessions", encodeJSON(opClosedSessions, sessionsRequest{Filter: f, After: after, Limit: limit}), func(a answer) {
		var part []session.Record
		if n.logged("sessions", a, &part) {
			out = append(out, part...)
		}
	})
	slices.SortFunc(out, func(a, b session.Record) int { return session.Compare(&a, &b) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ClosedSession implements session.Store, asking the node that served it.
func (s *sessionStore) ClosedSession(id string) (session.Record, error) {
	r, err := s.local.ClosedSession(id)
	node := hub.NodeOf(id)
	if err == nil || node == "" || node == s.node.id {
		return r, err
	}
	var remote session.Record
	if err := s.node.ask(id, encodeJSON(opClosedSession, sessionsRequest{ID: id}), &remote); err != nil {
		return session.Record{}, err
	}
	return remote, nil
}

// performSessions answers another node's request for this node's kept
// sessions.
func (n *Node) performSessions(op byte, data []byte) (any, error) {
	var r sessionsRequest
	if err := jsonInto(data, &r); err != nil {
		return nil, err
	}
	if n.history == nil {
		return nil, session.ErrUnknown
	}
	if op == opClosedSession {
		return n.history.ClosedSession(r.ID)
	}
	return n.history.ClosedSessions(r.Filter, r.After, min(r.Limit, session.MaxPage+1))
}
