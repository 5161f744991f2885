package cluster

import (
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/luagate/luagate/hub"
)

// serveNode answers a request to this node or to a key it holds sockets
// of. Every hub call it makes returns at once: sends only queue, closes
// only start.
func (n *Node) serveNode(msg *nats.Msg) {
	if len(msg.Data) == 0 || msg.Reply == "" {
		return
	}
	if msg.Data[0] == opSendBatch {
		codes, err := n.performBatch(msg.Data[1:])
		if err != nil {
			_ = msg.Respond(reply(n.id, err, nil))
			return
		}
		_ = msg.Respond(replyRaw(n.id, codeOK, codes))
		return
	}
	if msg.Data[0] == opRequest || msg.Data[0] == opSendWait {
		n.serveWaiting(msg)
		return
	}
	body, err := n.perform(msg.Data)
	_ = msg.Respond(reply(n.id, err, body))
}

var errBadRequest = errors.New("malformed cluster request")

// perform runs one request on this node's own sockets and returns what to
// answer.
func (n *Node) perform(data []byte) (any, error) {
	h := n.hub
	op := data[0]
	if op == opSend {
		id, msg, binary, err := decodeSend(data)
		if err != nil {
			return nil, err
		}
		return nil, h.Send(id, msg, binary)
	}
	if op == opClosedSessions || op == opClosedSession {
		return n.performSessions(op, data[1:])
	}
	if op == opLogs {
		return n.performLogs(data[1:])
	}
	var r request
	if err := jsonInto(data[1:], &r); err != nil {
		return nil, err
	}
	reason := hub.CloseByScript
	if r.Reason != nil {
		reason = *r.Reason
	}
	switch op {
	case opClose:
		return nil, h.Disconnect(r.ID, reason)
	case opSocket:
		return h.Socket(r.ID)
	case opList:
		return h.LocalList(), nil
	case opSockets:
		return h.LocalSockets(), nil
	case opCloseAll:
		return h.DisconnectIf(reason, nil), nil
	case opJoin:
		return nil, h.Join(r.ID, r.Group)
	case opLeave:
		return nil, h.Leave(r.ID, r.Group)
	case opGroups:
		return h.Groups(r.ID)
	}
	if r.Target == nil {
		return nil, errBadRequest
	}
	switch op {
	case opSendTo:
		return h.LocalSendTo(*r.Target, r.Msg, r.Binary), nil
	case opCloseTo:
		return h.LocalDisconnectTo(*r.Target, reason), nil
	case opListOf:
		return h.LocalListOf(*r.Target), nil
	case opSocketsOf:
		return h.LocalSocketsOf(*r.Target), nil
	case opPresence:
		return h.LocalPresence(r.Target.Key), nil
	case opUserPresent:
		return h.LocalUserPresence(r.Target.Key, r.User), nil
	}
	return nil, errBadRequest
}
