package runtime

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const registryShards = 64

// registry holds every live socket by id. Sharding keeps Websocket.send from
// many sockets at once off a single lock; each shard lock is held only for a
// map operation.
type registry struct {
	seed   maphash.Seed
	count  atomic.Int64
	shards [registryShards]shard
}

type shard struct {
	mu      sync.RWMutex
	sockets map[string]*socket
}

func newRegistry() *registry {
	r := &registry{seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].sockets = map[string]*socket{}
	}
	return r
}

func (r *registry) shard(id string) *shard {
	return &r.shards[maphash.String(r.seed, id)%registryShards]
}

func (r *registry) add(s *socket) {
	sh := r.shard(s.conn.ID)
	sh.mu.Lock()
	sh.sockets[s.conn.ID] = s
	sh.mu.Unlock()
	r.count.Add(1)
}

func (r *registry) remove(id string) {
	sh := r.shard(id)
	sh.mu.Lock()
	_, ok := sh.sockets[id]
	delete(sh.sockets, id)
	sh.mu.Unlock()
	if ok {
		r.count.Add(-1)
	}
}

func (r *registry) get(id string) (*socket, bool) {
	sh := r.shard(id)
	sh.mu.RLock()
	s, ok := sh.sockets[id]
	sh.mu.RUnlock()
	return s, ok
}

// all returns a snapshot of the live sockets.
func (r *registry) all() []*socket {
	out := make([]*socket, 0, r.count.Load())
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		for _, s := range sh.sockets {
			out = append(out, s)
		}
		sh.mu.RUnlock()
	}
	return out
}
