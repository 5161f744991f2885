package hub

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/session"
)

// shards is the number of registry shards. Sharding keeps Websocket.send
// from many sockets at once off a single lock.
const shards = 64

// Socket is what the hub needs of a live connection.
type Socket interface {
	// Send queues a frame for the client. It fails with luaapi.ErrQueueFull
	// rather than wait, and with luaapi.ErrSocketClosed once the socket is
	// closing.
	Send(msg []byte, binary bool) error
	// CloseWith starts closing: what is queued is sent, then a close frame
	// with reason. It fails with luaapi.ErrSocketClosed if the socket is
	// closing or closed already.
	CloseWith(reason CloseReason) error
	// Drop cuts the connection at once, without a close handshake.
	Drop()
	// Stats counts the socket's traffic so far.
	Stats() Stats
}

// Stats counts one socket's traffic.
type Stats struct {
	MessagesIn  uint64
	MessagesOut uint64
	// BytesIn and BytesOut count the data messages' payload bytes.
	BytesIn, BytesOut uint64
	// LastActivityAt is when a data message last went either way, or
	// when the socket connected.
	LastActivityAt time.Time
	// Backend counts a proxy socket's frames to and from its backend; nil
	// for a socket without one.
	Backend *session.Backend
}

// Snapshot describes an open socket for operators.
type Snapshot struct {
	Conn
	Stats
}

// Config configures a Hub.
type Config struct {
	// Broker reaches sockets that are not on this process. Nil means
	// LocalBroker: there are none.
	Broker Broker
	// MaxGroupsPerSocket is how many groups one socket may be in. Zero
	// means DefaultMaxGroupsPerSocket.
	MaxGroupsPerSocket int
	// Node, when set, starts every socket id NewID makes, so that the id
	// names the node that holds the socket (see NodeOf). It must be a
	// valid node id (CheckNode).
	Node string
	// OnKey, when set, is called whenever a user, session name, route or
	// group gains its first socket on this process or loses its last,
	// with that key's shard lock held: it must return at once and call
	// nothing of the hub's. HasLocal then says which it was.
	OnKey func(luaapi.Target)
}

// Hub is the set of live sockets. Its methods are safe for concurrent use.
type Hub struct {
	broker    Broker
	maxGroups int
	node      string
	onKey     func(luaapi.Target)
	seed      maphash.Seed
	count     atomic.Int64
	shards    [shards]shard
}

type shard struct {
	mu      sync.RWMutex
	entries map[string]*Entry
	idx     index
}

// New returns an empty hub.
func New(cfg Config) *Hub {
	if cfg.Broker == nil {
		cfg.Broker = LocalBroker{}
	}
	if cfg.MaxGroupsPerSocket == 0 {
		cfg.MaxGroupsPerSocket = DefaultMaxGroupsPerSocket
	}
	h := &Hub{broker: cfg.Broker, maxGroups: cfg.MaxGroupsPerSocket, node: cfg.Node, onKey: cfg.OnKey,
		seed: maphash.MakeSeed()}
	for i := range h.shards {
		h.shards[i].entries = map[string]*Entry{}
		h.shards[i].idx = newIndex()
	}
	return h
}

// Entry is a registered socket: its record and its place in the hub. The
// socket's owner keeps it to close the socket through the hub and to
// unregister it at the end.
type Entry struct {
	hub    *Hub
	conn   Conn
	view   *luaapi.Conn
	sock   Socket
	closed atomic.Bool // set once by Close: the socket is no longer listed

	// mu guards groups and left; it is taken before the lock of a group's
	// shard, never while another entry's is held.
	mu     sync.Mutex
	groups []string
	left   bool // set by Unregister: the socket joins no more groups
}

// Register adds s, whose record is c, and returns its entry. c.ID must be
// new (see NewID).
func (h *Hub) Register(c Conn, s Socket) *Entry {
	e := &Entry{hub: h, conn: c, view: c.view(), sock: s}
	// The view holds the headers, as Lua values: one copy for an idle
	// socket rather than two.
	e.conn.Headers = nil
	sh := h.shard(c.ID)
	sh.mu.Lock()
	sh.entries[c.ID] = e
	sh.mu.Unlock()
	h.addToIndexes(e)
	h.count.Add(1)
	return e
}

// Record is the entry's connection record as registered: its Headers are
// nil (see Conn.Headers). It costs nothing, where Conn builds the headers'
// map.
func (e *Entry) Record() *Conn { return &e.conn }

// Conn is the entry's connection record with its headers, whose map it
// builds anew from the script view: for what shows them (snapshots, the
// sockets API), where Record serves the rest.
func (e *Entry) Conn() Conn {
	c := e.conn
	c.Headers = e.view.HeaderMap()
	if c.Parameters == nil {
		// A socket without parameters holds no map (an empty one would
		// cost it while idle), and shows them as one.
		c.Parameters = map[string]string{}
	}
	return c
}

// View is the connection as scripts see it.
func (e *Entry) View() *luaapi.Conn { return e.view }

// Close closes the socket with reason. Once it returns nil, the hub no
// longer lists or describes the socket. It fails with
// luaapi.ErrSocketClosed if the socket was closed already.
func (e *Entry) Close(reason CloseReason) error {
	if !e.closed.CompareAndSwap(false, true) {
		return luaapi.ErrSocketClosed
	}
	return e.sock.CloseWith(reason)
}

// Unregister removes the entry; the socket's id is unknown from then on.
// It returns the groups the socket was in, sorted, which it has left
// before it returns: the close event lists them. Calling it
// again does nothing and returns none.
func (e *Entry) Unregister() []string {
	e.closed.Store(true)
	sh := e.hub.shard(e.conn.ID)
	sh.mu.Lock()
	cur, ok := sh.entries[e.conn.ID]
	if ok && cur == e {
		delete(sh.entries, e.conn.ID)
	}
	sh.mu.Unlock()
	if !ok || cur != e {
		return nil
	}
	groups := e.leaveAll()
	e.hub.removeFromIndexes(e)
	e.hub.count.Add(-1)
	return groups
}

func (h *Hub) shard(id string) *shard {
	return &h.shards[maphash.String(h.seed, id)%shards]
}

// get returns the registered entry id, closed or not.
func (h *Hub) get(id string) (*Entry, bool) {
	sh := h.shard(id)
	sh.mu.RLock()
	e, ok := sh.entries[id]
	sh.mu.RUnlock()
	return e, ok
}

// entries returns a snapshot of the registered entries, closed ones
// included.
func (h *Hub) entries() []*Entry {
	out := make([]*Entry, 0, h.count.Load())
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.RLock()
		for _, e := range sh.entries {
			out = append(out, e)
		}
		sh.mu.RUnlock()
	}
	return out
}

// Holds reports whether the socket id is registered on this process,
// closing or not: until its close event has run.
func (h *Hub) Holds(id string) bool {
	_, ok := h.get(id)
	return ok
}

// Registered counts the sockets on this process that have not been
// unregistered, closing ones included.
func (h *Hub) Registered() int { return int(h.count.Load()) }

// Send queues a message to the socket id, here or through the broker. It
// implements luaapi.Sockets.
func (h *Hub) Send(id string, msg []byte, binary bool) error {
	if held, err := h.sendHere(id, msg, binary); held {
		return err
	}
	return h.broker.Send(id, msg, binary)
}

// Post is Send for a send whose result nobody reads: a socket on another
// process gets it through the broker's Post, which need not wait for that
// process's answer. It implements luaapi.Poster.
func (h *Hub) Post(id string, msg []byte, binary bool) error {
	if held, err := h.sendHere(id, msg, binary); held {
		return err
	}
	return h.broker.Post(id, msg, binary)
}

// sendHere queues msg to the socket id if this process holds it.
func (h *Hub) sendHere(id string, msg []byte, binary bool) (held bool, err error) {
	e, ok := h.get(id)
	if !ok {
		return false, nil
	}
	if e.closed.Load() {
		return true, luaapi.ErrSocketClosed
	}
	return true, e.sock.Send(msg, binary)
}

// Close closes the socket id on a script's behalf. It implements
// luaapi.Sockets.
func (h *Hub) Close(id string) error { return h.Disconnect(id, CloseByScript) }

// Disconnect closes the socket id with reason, here or through the broker.
func (h *Hub) Disconnect(id string, reason CloseReason) error {
	if e, ok := h.get(id); ok {
		return e.Close(reason)
	}
	return h.broker.Close(id, reason)
}

// Info describes the open socket id, here or through the broker. It
// implements luaapi.Sockets.
func (h *Hub) Info(id string) (*luaapi.Conn, error) {
	if e, ok := h.get(id); ok {
		if e.closed.Load() {
			return nil, luaapi.ErrUnknownSocket
		}
		// A copy, so the shared view does not change under other readers.
		v := *e.view
		v.LastActivityAt = e.sock.Stats().LastActivityAt
		return &v, nil
	}
	sn, err := h.broker.Socket(id)
	if err != nil {
		return nil, err
	}
	v := sn.view()
	v.LastActivityAt = sn.LastActivityAt
	return v, nil
}

// List returns the ids of the open sockets, here and through the broker.
// It implements luaapi.Sockets.
func (h *Hub) List() []string { return append(h.LocalList(), h.broker.List()...) }

// LocalList returns the ids of the open sockets on this process.
func (h *Hub) LocalList() []string {
	all := h.entries()
	ids := make([]string, 0, len(all))
	for _, e := range all {
		if !e.closed.Load() {
			ids = append(ids, e.conn.ID)
		}
	}
	return ids
}

// ListConns returns the records of the open sockets here and the ids of
// those the broker knows. It implements luaapi.ConnLister.
func (h *Hub) ListConns() ([]*luaapi.Conn, []string) {
	all := h.entries()
	conns := make([]*luaapi.Conn, 0, len(all))
	for _, e := range all {
		if !e.closed.Load() {
			conns = append(conns, e.view)
		}
	}
	return conns, h.broker.List()
}

// CloseAll closes every open socket on a script's behalf, here and through
// the broker, and returns how many. It implements luaapi.Sockets.
func (h *Hub) CloseAll() int { return h.DisconnectAll(CloseByScript) }

// DisconnectAll closes every open socket with reason, here and through the
// broker, and returns how many.
func (h *Hub) DisconnectAll(reason CloseReason) int {
	return h.DisconnectIf(reason, nil) + h.broker.CloseAll(reason)
}

// DisconnectIf closes with reason every open socket on this process whose
// record match accepts (every one, if match is nil), and returns how many.
func (h *Hub) DisconnectIf(reason CloseReason, match func(*Conn) bool) int {
	n := 0
	var y yield.Yielder
	for _, e := range h.entries() {
		y.Step()
		if (match == nil || match(&e.conn)) && e.Close(reason) == nil {
			n++
		}
	}
	return n
}

// DropAll cuts every connection on this process, closing or not, without a
// close handshake: for a shutdown that has run out of time.
func (h *Hub) DropAll() {
	for _, e := range h.entries() {
		e.sock.Drop()
	}
}

// Sockets describes every open socket, here and through the broker,
// oldest first.
func (h *Hub) Sockets() []Snapshot {
	out := append(h.LocalSockets(), h.broker.Sockets(nil)...)
	sortSnapshots(out)
	return out
}

// LocalSockets describes every open socket on this process, in no order.
func (h *Hub) LocalSockets() []Snapshot {
	all := h.entries()
	out := make([]Snapshot, 0, len(all))
	for _, e := range all {
		if !e.closed.Load() {
			out = append(out, e.snapshot())
		}
	}
	return out
}

func sortSnapshots(s []Snapshot) {
	slices.SortFunc(s, func(a, b Snapshot) int { return a.ConnectedAt.Compare(b.ConnectedAt) })
}

// Socket describes the open socket id, here or through the broker.
func (h *Hub) Socket(id string) (Snapshot, error) {
	e, ok := h.get(id)
	if !ok {
		return h.broker.Socket(id)
	}
	if e.closed.Load() {
		return Snapshot{}, luaapi.ErrUnknownSocket
	}
	return e.snapshot(), nil
}

func (e *Entry) snapshot() Snapshot { return Snapshot{Conn: e.Conn(), Stats: e.sock.Stats()} }
