package hub

import (
	"context"

	"github.com/luagate/luagate/luaapi"
)

// Broker reaches sockets that are not on this process. The hub consults it
// for an id it does not hold, and adds what it answers to List and
// CloseAll. An implementation answers luaapi.ErrUnknownSocket for an id no
// process holds.
type Broker interface {
	// Send queues a message to the remote socket id.
	Send(id string, msg []byte, binary bool) error
	// Post is Send for a send whose result nobody reads (luaapi.Poster):
	// it may return before the socket's process has taken the message,
	// keeping the order of the sends and operations it is given for that
	// process, and report later failures its own way.
	Post(id string, msg []byte, binary bool) error
	// Close closes the remote socket id with reason.
	Close(id string, reason CloseReason) error
	// Socket describes the open remote socket id.
	Socket(id string) (Snapshot, error)
	// List returns the ids of the open remote sockets.
	List() []string
	// Sockets describes the open remote sockets t names, or all of them
	// for a nil t.
	Sockets(t *luaapi.Target) []Snapshot
	// CloseAll closes every open remote socket with reason and returns how
	// many.
	CloseAll(reason CloseReason) int

	// SendTo queues a message to every open remote socket t names and
	// returns how many took it.
	SendTo(t luaapi.Target, msg []byte, binary bool) int
	// CloseTo closes every open remote socket t names with reason and
	// returns how many.
	CloseTo(t luaapi.Target, reason CloseReason) int
	// ListOf returns the ids of the open remote sockets t names.
	ListOf(t luaapi.Target) []string
	// Join and Leave change the groups of the remote socket id.
	Join(id, group string) error
	Leave(id, group string) error
	// Groups returns the groups of the open remote socket id.
	Groups(id string) ([]string, error)
	// Presence counts the open remote sockets in group, by user. The hub
	// adds its own counts to the Users map it returns, which must be the
	// caller's to change.
	Presence(group string) luaapi.Presence
	// UserPresence counts user's open remote sockets in group.
	UserPresence(group, user string) int

	// Request asks the remote socket id's client and returns its reply's
	// content, waiting until ctx ends (see Requester).
	Request(ctx context.Context, id, event string, content []byte) ([]byte, error)
	// SendWait queues msg to the remote socket id and returns once it has
	// been written, waiting until ctx ends.
	SendWait(ctx context.Context, id string, msg []byte, binary bool) error
}

// LocalBroker is the broker of a gateway that is one process: there are no
// remote sockets.
type LocalBroker struct{}

// Send implements Broker.
func (LocalBroker) Send(string, []byte, bool) error { return luaapi.ErrUnknownSocket }

// Post implements Broker.
func (LocalBroker) Post(string, []byte, bool) error { return luaapi.ErrUnknownSocket }

// Close implements Broker.
func (LocalBroker) Close(string, CloseReason) error { return luaapi.ErrUnknownSocket }

// Socket implements Broker.
func (LocalBroker) Socket(string) (Snapshot, error) { return Snapshot{}, luaapi.ErrUnknownSocket }

// List implements Broker.
func (LocalBroker) List() []string { return nil }

// Sockets implements Broker.
func (LocalBroker) Sockets(*luaapi.Target) []Snapshot { return nil }

// CloseAll implements Broker.
func (LocalBroker) CloseAll(CloseReason) int { return 0 }

// SendTo implements Broker.
func (LocalBroker) SendTo(luaapi.Target, []byte, bool) int { return 0 }

// CloseTo implements Broker.
func (LocalBroker) CloseTo(luaapi.Target, CloseReason) int { return 0 }

// ListOf implements Broker.
func (LocalBroker) ListOf(luaapi.Target) []string { return nil }

// Join implements Broker.
func (LocalBroker) Join(string, string) error { return luaapi.ErrUnknownSocket }

// Leave implements Broker.
func (LocalBroker) Leave(string, string) error { return luaapi.ErrUnknownSocket }

// Groups implements Broker.
func (LocalBroker) Groups(string) ([]string, error) { return nil, luaapi.ErrUnknownSocket }

// Presence implements Broker.
func (LocalBroker) Presence(string) luaapi.Presence { return luaapi.Presence{} }

// UserPresence implements Broker.
func (LocalBroker) UserPresence(string, string) int { return 0 }

// Request implements Broker.
func (LocalBroker) Request(context.Context, string, string, []byte) ([]byte, error) {
	return nil, luaapi.ErrUnknownSocket
}

// SendWait implements Broker.
func (LocalBroker) SendWait(context.Context, string, []byte, bool) error {
	return luaapi.ErrUnknownSocket
}
