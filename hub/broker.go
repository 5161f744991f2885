package hub

import "github.com/luagate/luagate/luaapi"

// Broker reaches sockets that are not on this process. The hub consults it
// for an id it does not hold, and adds what it answers to List and
// CloseAll. An implementation answers luaapi.ErrUnknownSocket for an id no
// process holds.
type Broker interface {
	// Send queues a message to the remote socket id.
	Send(id string, msg []byte, binary bool) error
	// Close closes the remote socket id with reason.
	Close(id string, reason CloseReason) error
	// Info returns the record of the open remote socket id.
	Info(id string) (Conn, error)
	// List returns the ids of the open remote sockets.
	List() []string
	// CloseAll closes every open remote socket with reason and returns how
	// many.
	CloseAll(reason CloseReason) int
}

// LocalBroker is the broker of a gateway that is one process: there are no
// remote sockets.
type LocalBroker struct{}

// Send implements Broker.
func (LocalBroker) Send(string, []byte, bool) error { return luaapi.ErrUnknownSocket }

// Close implements Broker.
func (LocalBroker) Close(string, CloseReason) error { return luaapi.ErrUnknownSocket }

// Info implements Broker.
func (LocalBroker) Info(string) (Conn, error) { return Conn{}, luaapi.ErrUnknownSocket }

// List implements Broker.
func (LocalBroker) List() []string { return nil }

// CloseAll implements Broker.
func (LocalBroker) CloseAll(CloseReason) int { return 0 }
