package hub

import (
	"fmt"
	"slices"
	"sync"

	"github.com/luagate/luagate/luaapi"
)

// DefaultMaxGroupsPerSocket is how many groups a socket may be in when
// Config.MaxGroupsPerSocket is zero.
const DefaultMaxGroupsPerSocket = 64

// Target names open sockets by a key other than their id. It is
// luaapi's, so that a script and an operator name sockets the same way.
type Target = luaapi.Target

// The kinds of Target.
const (
	ByUser        = luaapi.ByUser
	BySessionName = luaapi.BySessionName
	ByGroup       = luaapi.ByGroup
	ByRoute       = luaapi.ByRoute
)

// entrySet is the entries one index key holds.
type entrySet map[*Entry]struct{}

// index is one shard's part of the indexes by another key than the socket
// id: a key lives in the shard its hash chooses, whatever the kind.
type index struct {
	users, names, routes map[string]entrySet
	groups               map[string]*group
}

// group is one group's members, and the same by user_id so that a user's
// presence in the group is one lookup; sockets without a user are in
// members only.
type group struct {
	members entrySet
	users   map[string]entrySet
}

func newIndex() index {
	return index{users: map[string]entrySet{}, names: map[string]entrySet{}, routes: map[string]entrySet{},
		groups: map[string]*group{}}
}

// keyed returns the map of the index kind k, nil for ByGroup.
func (x *index) keyed(k luaapi.TargetKind) map[string]entrySet {
	switch k {
	case luaapi.ByUser:
		return x.users
	case luaapi.BySessionName:
		return x.names
	case luaapi.ByRoute:
		return x.routes
	}
	return nil
}

// indexKeys are the keys of the kinds other than groups that e is indexed
// by: a socket is always on a route, and has a user and session name only
// when its upgrade gave it them.
func (e *Entry) indexKeys(fn func(luaapi.TargetKind, string)) {
	fn(luaapi.ByRoute, e.conn.Route)
	if e.conn.UserID != "" {
		fn(luaapi.ByUser, e.conn.UserID)
	}
	if e.conn.SessionName != "" {
		fn(luaapi.BySessionName, e.conn.SessionName)
	}
}

func (h *Hub) addToIndexes(e *Entry) {
	e.indexKeys(func(k luaapi.TargetKind, key string) {
		sh := h.shard(key)
		sh.mu.Lock()
		m := sh.idx.keyed(k)
		set := m[key]
		if set == nil {
			set = entrySet{}
			m[key] = set
			h.keyChanged(luaapi.Target{By: k, Key: key})
		}
		set[e] = struct{}{}
		sh.mu.Unlock()
	})
}

func (h *Hub) removeFromIndexes(e *Entry) {
	e.indexKeys(func(k luaapi.TargetKind, key string) {
		sh := h.shard(key)
		sh.mu.Lock()
		m := sh.idx.keyed(k)
		delete(m[key], e)
		if len(m[key]) == 0 {
			delete(m, key)
			h.keyChanged(luaapi.Target{By: k, Key: key})
		}
		sh.mu.Unlock()
	})
}

// addMember and removeMember change group's members in the shard of
// group. sh.mu must not be held.
func (sh *shard) addMember(name string, e *Entry) {
	sh.mu.Lock()
	g := sh.idx.groups[name]
	if g == nil {
		g = &group{members: entrySet{}, users: map[string]entrySet{}}
		sh.idx.groups[name] = g
		e.hub.keyChanged(luaapi.Target{By: luaapi.ByGroup, Key: name})
	}
	g.members[e] = struct{}{}
	if u := e.conn.UserID; u != "" {
		set := g.users[u]
		if set == nil {
			set = entrySet{}
			g.users[u] = set
		}
		set[e] = struct{}{}
	}
	sh.mu.Unlock()
}

func (sh *shard) removeMember(name string, e *Entry) {
	sh.mu.Lock()
	g := sh.idx.groups[name]
	delete(g.members, e)
	if u := e.conn.UserID; u != "" {
		delete(g.users[u], e)
		if len(g.users[u]) == 0 {
			delete(g.users, u)
		}
	}
	if len(g.members) == 0 {
		delete(sh.idx.groups, name)
		e.hub.keyChanged(luaapi.Target{By: luaapi.ByGroup, Key: name})
	}
	sh.mu.Unlock()
}

// keyChanged tells Config.OnKey that t gained its first or lost its last
// socket here. The lock of t's shard is held.
func (h *Hub) keyChanged(t luaapi.Target) {
	if h.onKey != nil {
		h.onKey(t)
	}
}

// checkGroup refuses a group name scripts may not use.
func checkGroup(group string) error {
	if group == "" {
		return fmt.Errorf("%w: group must be a non-empty string", luaapi.ErrBadArgument)
	}
	if len(group) > luaapi.MaxGroupBytes {
		return fmt.Errorf("%w: group is %d bytes, over the limit of %d", luaapi.ErrBadArgument, len(group), luaapi.MaxGroupBytes)
	}
	return nil
}

// Join adds the socket id to group, here or through the broker. It
// implements luaapi.Sockets.
func (h *Hub) Join(id, group string) error {
	if err := checkGroup(group); err != nil {
		return err
	}
	e, ok := h.get(id)
	if !ok {
		return h.broker.Join(id, group)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.left || e.closed.Load():
		return ErrSocketClosed
	case slices.Contains(e.groups, group):
		return nil
	case len(e.groups) >= h.maxGroups:
		return fmt.Errorf("%w: it is in %d groups already", ErrTooManyGroups, len(e.groups))
	}
	e.groups = append(e.groups, group)
	h.shard(group).addMember(group, e)
	return nil
}

// Leave removes the socket id from group, here or through the broker. It
// implements luaapi.Sockets.
func (h *Hub) Leave(id, group string) error {
	if err := checkGroup(group); err != nil {
		return err
	}
	e, ok := h.get(id)
	if !ok {
		return h.broker.Leave(id, group)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.left {
		return ErrSocketClosed
	}
	if i := slices.Index(e.groups, group); i >= 0 {
		e.groups = slices.Delete(e.groups, i, i+1)
		h.shard(group).removeMember(group, e)
	}
	return nil
}

// leaveAll takes e out of every group and keeps it from joining more; it
// returns the groups e was in, sorted.
func (e *Entry) leaveAll() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	groups := e.groups
	e.groups, e.left = nil, true
	for _, g := range groups {
		e.hub.shard(g).removeMember(g, e)
	}
	slices.Sort(groups)
	return groups
}

// Groups returns the groups the open socket id is in, sorted, here or
// through the broker. It implements luaapi.Sockets.
func (h *Hub) Groups(id string) ([]string, error) {
	e, ok := h.get(id)
	if !ok {
		return h.broker.Groups(id)
	}
	if e.closed.Load() {
		return nil, ErrUnknownSocket
	}
	e.mu.Lock()
	groups := slices.Clone(e.groups)
	e.mu.Unlock()
	slices.Sort(groups)
	return groups, nil
}

// entryBuf holds the entries a send or close to a target acts on once the
// shard lock is released; pooled, as a send to a group is a hot path.
var entryBuf = sync.Pool{New: func() any { return new([]*Entry) }}

// members appends to buf the open entries t names on this process.
func (h *Hub) members(t luaapi.Target, buf []*Entry) []*Entry {
	sh := h.shard(t.Key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	add := func(set entrySet) {
		for e := range set {
			if !e.closed.Load() {
				buf = append(buf, e)
			}
		}
	}
	if t.By == luaapi.ByGroup {
		if g := sh.idx.groups[t.Key]; g != nil {
			add(g.members)
		}
		return buf
	}
	if m := sh.idx.keyed(t.By); m != nil {
		add(m[t.Key])
	}
	return buf
}

// each calls fn for each open entry t names on this process, with no lock
// held, and returns how many times fn returned nil.
func (h *Hub) each(t luaapi.Target, fn func(*Entry) error) int {
	bp := entryBuf.Get().(*[]*Entry)
	buf := h.members(t, (*bp)[:0])
	n := 0
	for _, e := range buf {
		if fn(e) == nil {
			n++
		}
	}
	clear(buf)
	*bp = buf
	entryBuf.Put(bp)
	return n
}

// SendTo queues a message to every open socket t names, here and through
// the broker, and returns how many took it. It implements luaapi.Sockets.
func (h *Hub) SendTo(t luaapi.Target, msg []byte, binary bool) int {
	return h.LocalSendTo(t, msg, binary) + h.broker.SendTo(t, msg, binary)
}

// LocalSendTo queues a message to every open socket t names on this
// process and returns how many took it: one frame shared by all of them,
// and the idle ones' writers started once all are queued (Fanout).
func (h *Hub) LocalSendTo(t luaapi.Target, msg []byte, binary bool) int {
	f := &Fanout{Data: msg, Binary: binary}
	n := h.each(t, func(e *Entry) error {
		if fs, ok := e.sock.(FanoutSocket); ok {
			return fs.SendFanout(f)
		}
		return e.sock.Send(msg, binary)
	})
	f.wake()
	return n
}

// CloseTo closes every open socket t names on a script's behalf and
// returns how many. It implements luaapi.Sockets.
func (h *Hub) CloseTo(t luaapi.Target) int { return h.DisconnectTo(t, CloseByScript) }

// DisconnectTo closes every open socket t names with reason, here and
// through the broker, and returns how many.
func (h *Hub) DisconnectTo(t luaapi.Target, reason CloseReason) int {
	return h.LocalDisconnectTo(t, reason) + h.broker.CloseTo(t, reason)
}

// LocalDisconnectTo closes every open socket t names on this process with
// reason and returns how many.
func (h *Hub) LocalDisconnectTo(t luaapi.Target, reason CloseReason) int {
	return h.each(t, func(e *Entry) error { return e.Close(reason) })
}

// ListOf returns the ids of the open sockets t names, here and through the
// broker. It implements luaapi.Sockets.
func (h *Hub) ListOf(t luaapi.Target) []string {
	return append(h.LocalListOf(t), h.broker.ListOf(t)...)
}

// LocalListOf returns the ids of the open sockets t names on this process.
func (h *Hub) LocalListOf(t luaapi.Target) []string {
	var ids []string
	h.each(t, func(e *Entry) error {
		ids = append(ids, e.conn.ID)
		return nil
	})
	return ids
}

// SocketsOf describes the open sockets t names, here and through the
// broker, oldest first.
func (h *Hub) SocketsOf(t luaapi.Target) []Snapshot {
	out := append(h.LocalSocketsOf(t), h.broker.Sockets(&t)...)
	sortSnapshots(out)
	return out
}

// LocalSocketsOf describes the open sockets t names on this process, in no
// order.
func (h *Hub) LocalSocketsOf(t luaapi.Target) []Snapshot {
	var out []Snapshot
	h.each(t, func(e *Entry) error {
		out = append(out, e.snapshot())
		return nil
	})
	return out
}

// Presence counts the open sockets in group by user, here and through the
// broker. It implements luaapi.Sockets.
func (h *Hub) Presence(group string) luaapi.Presence {
	p := h.broker.Presence(group)
	if p.Users == nil {
		p.Users = map[string]int{}
	}
	h.addPresence(group, &p)
	return p
}

// LocalPresence counts the open sockets in group by user on this process.
func (h *Hub) LocalPresence(group string) luaapi.Presence {
	p := luaapi.Presence{Users: map[string]int{}}
	h.addPresence(group, &p)
	return p
}

// addPresence adds this process's open sockets in group to p.
func (h *Hub) addPresence(group string, p *luaapi.Presence) {
	sh := h.shard(group)
	sh.mu.RLock()
	if g := sh.idx.groups[group]; g != nil {
		p.Sockets += openIn(g.members)
		for user, set := range g.users {
			if n := openIn(set); n > 0 {
				p.Users[user] += n
			}
		}
	}
	sh.mu.RUnlock()
}

// UserPresence counts user's open sockets in group, here and through the
// broker. It implements luaapi.Sockets.
func (h *Hub) UserPresence(group, user string) int {
	return h.LocalUserPresence(group, user) + h.broker.UserPresence(group, user)
}

// LocalUserPresence counts user's open sockets in group on this process.
func (h *Hub) LocalUserPresence(group, user string) int {
	sh := h.shard(group)
	sh.mu.RLock()
	n := 0
	if g := sh.idx.groups[group]; g != nil {
		n = openIn(g.users[user])
	}
	sh.mu.RUnlock()
	return n
}

// HasLocal reports whether any socket on this process, open or closing,
// is indexed under t: what a cluster subscribes to t's traffic for.
func (h *Hub) HasLocal(t luaapi.Target) bool {
	sh := h.shard(t.Key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if t.By == luaapi.ByGroup {
		return sh.idx.groups[t.Key] != nil
	}
	return len(sh.idx.keyed(t.By)[t.Key]) > 0
}

// openIn counts the entries of set that are not closed. The caller holds
// the lock of set's shard.
func openIn(set entrySet) int {
	n := 0
	for e := range set {
		if !e.closed.Load() {
			n++
		}
	}
	return n
}
