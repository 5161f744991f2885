package cluster

import (
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// members is who is in the cluster, by heartbeat.
type members struct {
	self string
	mu   sync.Mutex
	seen map[string]time.Time // last heartbeat of each peer
}

func (m *members) init(self string) {
	m.self = self
	m.seen = map[string]time.Time{}
}

// heard records a peer's heartbeat.
func (m *members) heard(msg *nats.Msg) {
	id := string(msg.Data)
	if id == m.self {
		return
	}
	m.mu.Lock()
	m.seen[id] = time.Now()
	m.mu.Unlock()
}

// left forgets a peer that said it is leaving.
func (m *members) left(msg *nats.Msg) {
	m.mu.Lock()
	delete(m.seen, string(msg.Data))
	m.mu.Unlock()
}

// live reports whether node is this one or a peer heard from within
// NodeTimeout.
func (m *members) live(node string) bool {
	if node == m.self {
		return true
	}
	m.mu.Lock()
	at, ok := m.seen[node]
	m.mu.Unlock()
	return ok && time.Since(at) < NodeTimeout
}

// peers returns the live peers, sorted.
func (m *members) peers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, at := range m.seen {
		if time.Since(at) < NodeTimeout {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// sweep forgets peers gone for NodeTimeout and returns them.
func (m *members) sweep() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var gone []string
	for id, at := range m.seen {
		if time.Since(at) >= NodeTimeout {
			gone = append(gone, id)
			delete(m.seen, id)
		}
	}
	return gone
}

// beat announces this node every heartbeat and logs the peers that are
// gone, until Close.
func (n *Node) beat() {
	defer n.wg.Done()
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	known := map[string]bool{}
	for {
		if n.nc.IsConnected() {
			_ = n.nc.Publish(n.subj.heartbeat, []byte(n.id))
		}
		for _, id := range n.members.sweep() {
			n.log.Warn("cluster: node gone", "peer", id)
			delete(known, id)
		}
		for _, id := range n.members.peers() {
			if !known[id] {
				known[id] = true
				n.log.Info("cluster: node joined", "peer", id)
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Peers returns the live peers this node hears, sorted.
func (n *Node) Peers() []string { return n.members.peers() }
