package cluster

import "github.com/luagate/luagate/hub"

// ForgetLatest makes the node believe the shared solution is one revision
// older than it is, as if another node's deploy had not reached it yet:
// its next deploy is then made against a stale revision.
func (n *Node) ForgetLatest() {
	n.sol.mu.Lock()
	n.sol.seen--
	n.sol.mu.Unlock()
}

// Holders returns the nodes this node believes hold sockets t names.
func (n *Node) Holders(t hub.Target) []string { return n.interest.nodesOf(tokenOf(t)) }

// ReopenBuckets opens the buckets and their watches again, as a
// reconnect to NATS does.
func (n *Node) ReopenBuckets() { n.connectionChanged() }
