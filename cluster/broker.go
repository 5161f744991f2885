package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

// Node implements hub.Broker.
var _ hub.Broker = (*Node)(nil)

func jsonInto(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return nil
}

// unavailableErr is the error of an operation on another node while the
// cluster cannot be reached.
func (n *Node) unavailableErr() error {
	return fmt.Errorf("%w: %s", hub.ErrClusterUnavailable, n.Degraded())
}

// ask sends one request to the node that holds socket id and decodes its
// answer into v (nil for none).
func (n *Node) ask(id string, data []byte, v any) error {
	node, err := n.holder(id)
	if err == nil {
		err = n.settle(node)
	}
	if err != nil {
		return err
	}
	answer, err := n.request(node, data)
	if err != nil {
		return err
	}
	return decodeReply(answer).into(v)
}

// holder returns the node of socket id. An id of no live node is
// unknown: its node is gone, and its sockets with it.
func (n *Node) holder(id string) (string, error) {
	node := hub.NodeOf(id)
	switch {
	case node == "" || node == n.id:
		return "", hub.ErrUnknownSocket
	case !n.nc.IsConnected():
		// Before membership: without NATS every peer soon looks gone.
		return "", n.unavailableErr()
	case !n.members.live(node):
		return "", hub.ErrUnknownSocket
	}
	return node, nil
}

// request sends data to node and returns its reply.
func (n *Node) request(node string, data []byte) ([]byte, error) {
	msg, err := n.nc.Request(n.subj.node(node), data, n.cfg.Timeout)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, hub.ErrUnknownSocket
	case errors.Is(err, nats.ErrTimeout):
		return nil, fmt.Errorf("%w: node %s did not answer within %s", hub.ErrClusterUnavailable, node, n.cfg.Timeout)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", hub.ErrClusterUnavailable, err)
	}
	return msg.Data, nil
}

// Send implements hub.Broker.
func (n *Node) Send(id string, msg []byte, binary bool) error {
	node, err := n.holder(id)
	if err != nil {
		return err
	}
	return n.sendBatched(node, id, msg, binary)
}

// Close implements hub.Broker.
func (n *Node) Close(id string, reason hub.CloseReason) error {
	return n.ask(id, encode(opClose, request{ID: id, Reason: &reason}), nil)
}

// Socket implements hub.Broker.
func (n *Node) Socket(id string) (hub.Snapshot, error) {
	var sn hub.Snapshot
	err := n.ask(id, encode(opSocket, request{ID: id}), &sn)
	return sn, err
}

// Join implements hub.Broker.
func (n *Node) Join(id, group string) error {
	return n.ask(id, encode(opJoin, request{ID: id, Group: group}), nil)
}

// Leave implements hub.Broker.
func (n *Node) Leave(id, group string) error {
	return n.ask(id, encode(opLeave, request{ID: id, Group: group}), nil)
}

// Groups implements hub.Broker.
func (n *Node) Groups(id string) ([]string, error) {
	var groups []string
	err := n.ask(id, encode(opGroups, request{ID: id}), &groups)
	return groups, err
}

// gather publishes data to every subject in subjects with one reply inbox
// and collects the answers of the nodes in want, until all have answered
// or the timeout; it logs the nodes that did not answer.
func (n *Node) gather(what string, subjects []string, want []string, data []byte, each func(answer)) {
	if len(want) == 0 || !n.nc.IsConnected() {
		if len(want) > 0 {
			n.log.Warn("cluster: gathered from this node only", "op", what, "why", n.Degraded())
		}
		return
	}
	if err := n.settleAll(want); err != nil {
		n.log.Warn("cluster: gathering before earlier sends were answered", "op", what, "err", err)
	}
	inbox := n.nc.NewInbox()
	sub, err := n.nc.SubscribeSync(inbox)
	if err != nil {
		n.log.Warn("cluster: gather", "op", what, "err", err)
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	for _, s := range subjects {
		if err := n.nc.PublishRequest(s, inbox, data); err != nil {
			n.log.Warn("cluster: gather", "op", what, "err", err)
			return
		}
	}
	missing := make(map[string]bool, len(want))
	for _, w := range want {
		missing[w] = true
	}
	deadline := time.Now().Add(n.cfg.Timeout)
	for len(missing) > 0 {
		msg, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		if len(msg.Data) == 0 { // a no-responders status: nobody holds the subject
			if len(subjects) == 1 {
				break
			}
			continue
		}
		a := decodeReply(msg.Data)
		if !missing[a.node] {
			continue
		}
		delete(missing, a.node)
		each(a)
	}
	if len(missing) > 0 {
		nodes := make([]string, 0, len(missing))
		for m := range missing {
			nodes = append(nodes, m)
		}
		n.log.Warn("cluster: nodes did not answer", "op", what, "nodes", nodes, "timeout", n.cfg.Timeout)
	}
}

// fromPeers asks every live peer on its own subject.
func (n *Node) fromPeers(what string, data []byte, each func(answer)) {
	peers := n.members.peers()
	subjects := make([]string, len(peers))
	for i, p := range peers {
		subjects[i] = n.subj.node(p)
	}
	n.gather(what, subjects, peers, data, each)
}

// fromHolders asks the live peers that hold sockets t names, through t's
// subject: one publish, however many nodes.
func (n *Node) fromHolders(what string, t hub.Target, data []byte, each func(answer)) {
	token := tokenOf(t)
	var want []string
	for _, node := range n.interest.nodesOf(token) {
		if node != n.id && n.members.live(node) {
			want = append(want, node)
		}
	}
	n.gather(what, []string{n.subj.key(token)}, want, data, each)
}

// logged decodes a into v, logging a failure rather than returning it:
// for the operations whose answer is a count or a list.
func (n *Node) logged(what string, a answer, v any) bool {
	if err := a.into(v); err != nil {
		n.log.Warn("cluster: bad answer", "op", what, "peer", a.node, "err", err)
		return false
	}
	return true
}

// List implements hub.Broker.
func (n *Node) List() []string {
	var ids []string
	n.fromPeers("list", encode(opList, request{}), func(a answer) {
		var part []string
		if n.logged("list", a, &part) {
			ids = append(ids, part...)
		}
	})
	return ids
}

// Sockets implements hub.Broker.
func (n *Node) Sockets(t *hub.Target) []hub.Snapshot {
	var out []hub.Snapshot
	each := func(a answer) {
		var part []hub.Snapshot
		if n.logged("sockets", a, &part) {
			out = append(out, part...)
		}
	}
	if t == nil {
		n.fromPeers("sockets", encode(opSockets, request{}), each)
	} else {
		n.fromHolders("sockets", *t, encode(opSocketsOf, request{Target: t}), each)
	}
	return out
}

// count adds up the counts the answers carry.
func (n *Node) count(what string) (*int, func(answer)) {
	total := 0
	return &total, func(a answer) {
		var c int
		if n.logged(what, a, &c) {
			total += c
		}
	}
}

// CloseAll implements hub.Broker.
func (n *Node) CloseAll(reason hub.CloseReason) int {
	total, each := n.count("closeAll")
	n.fromPeers("closeAll", encode(opCloseAll, request{Reason: &reason}), each)
	return *total
}

// SendTo implements hub.Broker.
func (n *Node) SendTo(t luaapi.Target, msg []byte, binary bool) int {
	total, each := n.count("sendTo")
	n.fromHolders("sendTo", t, encode(opSendTo, request{Target: &t, Msg: msg, Binary: binary}), each)
	return *total
}

// CloseTo implements hub.Broker.
func (n *Node) CloseTo(t luaapi.Target, reason hub.CloseReason) int {
	total, each := n.count("closeTo")
	n.fromHolders("closeTo", t, encode(opCloseTo, request{Target: &t, Reason: &reason}), each)
	return *total
}

// ListOf implements hub.Broker.
func (n *Node) ListOf(t luaapi.Target) []string {
	var ids []string
	n.fromHolders("listOf", t, encode(opListOf, request{Target: &t}), func(a answer) {
		var part []string
		if n.logged("listOf", a, &part) {
			ids = append(ids, part...)
		}
	})
	return ids
}

// Presence implements hub.Broker.
func (n *Node) Presence(group string) luaapi.Presence {
	t := luaapi.Target{By: luaapi.ByGroup, Key: group}
	p := luaapi.Presence{Users: map[string]int{}}
	n.fromHolders("presence", t, encode(opPresence, request{Target: &t}), func(a answer) {
		var part luaapi.Presence
		if n.logged("presence", a, &part) {
			p.Sockets += part.Sockets
			for u, c := range part.Users {
				p.Users[u] += c
			}
		}
	})
	return p
}

// UserPresence implements hub.Broker.
func (n *Node) UserPresence(group, user string) int {
	t := luaapi.Target{By: luaapi.ByGroup, Key: group}
	total, each := n.count("userPresence")
	n.fromHolders("userPresence", t, encode(opUserPresent, request{Target: &t, User: user}), each)
	return *total
}
