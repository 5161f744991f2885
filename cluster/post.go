package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luagate/luagate/hub"
)

// errStopping fails what is still queued when the node stops.
var errStopping = fmt.Errorf("%w: node stopping", hub.ErrClusterUnavailable)

// postLogEvery is how often at most the failures of posted sends are
// logged: a script sending to a gone socket in a loop must not flood the
// log.
const postLogEvery = time.Second

// Post implements hub.Broker: a send whose result no script reads. It
// joins the queue of the node holding id, which sendBatched's sends share,
// and returns without waiting for that node's answer, so the script's
// socket goes on to its next event while the send is on its way. What the
// node answers for it later is counted and logged (FailedPosts), not
// returned. The node's queue keeps the order of the sends it is given,
// posted or not, and the node's other operations on that node's sockets
// wait for the posted sends queued before them (settle).
func (n *Node) Post(id string, msg []byte, binary bool) error {
	node, err := n.holder(id)
	if err == nil {
		err = n.postBatched(node, id, msg, binary)
	}
	if err != nil {
		n.posts.failed(hub.NodeOf(id), err)
	}
	return err
}

// postBatched queues a posted send to node once the posted sends
// unanswered leave room for it. The wait is bounded without a timer of
// its own: while posted sends are outstanding a batch to node is on its
// way, and its answer, or its request's timeout, makes room.
func (n *Node) postBatched(node, id string, msg []byte, binary bool) error {
	b := n.batcherOf(node)
	b.mu.Lock()
	for b.posted > 0 && (b.posted >= n.cfg.MaxPosted || b.postedBytes+len(msg) > n.cfg.MaxPostedBytes) {
		progress := b.progress
		b.mu.Unlock()
		select {
		case <-progress:
		case <-n.ctx.Done():
			return errStopping
		}
		b.mu.Lock()
	}
	b.posted++
	b.postedBytes += len(msg)
	lead := b.push(&pendingSend{id: id, msg: msg, binary: binary})
	b.mu.Unlock()
	if lead {
		n.drainLater(node, b)
	}
	return nil
}

// settle waits until the sends queued to node so far have been answered,
// when posted ones are among those outstanding: an operation on node's
// sockets after a posted send then reaches them after it, as it would
// after a send waited for. It waits up to the cluster timeout.
func (n *Node) settle(node string) error {
	n.batchMu.Lock()
	b := n.batchers[node]
	n.batchMu.Unlock()
	if b == nil {
		return nil
	}
	var timer *time.Timer
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.posted == 0 {
		return nil
	}
	target := b.queued
	for b.answered < target {
		progress := b.progress
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(n.cfg.Timeout)
			defer timer.Stop()
		}
		select {
		case <-progress:
		case <-timer.C:
			b.mu.Lock()
			return fmt.Errorf("%w: node %s did not answer earlier sends within %s", hub.ErrClusterUnavailable, node, n.cfg.Timeout)
		case <-n.ctx.Done():
			b.mu.Lock()
			return errStopping
		}
		b.mu.Lock()
	}
	return nil
}

// settleAll is settle for each of nodes, for an operation that reaches
// them all; it returns the first failure.
func (n *Node) settleAll(nodes []string) error {
	for _, node := range nodes {
		if err := n.settle(node); err != nil {
			return err
		}
	}
	return nil
}

// postFailures counts and logs the posted sends that failed.
type postFailures struct {
	log   func(msg string, args ...any)
	total atomic.Int64
	mu    sync.Mutex
	since int64 // failures not logged yet
	last  time.Time
}

// failed counts one failed posted send to node, and logs the count so far
// at most every postLogEvery.
func (f *postFailures) failed(node string, err error) {
	f.total.Add(1)
	f.mu.Lock()
	f.since++
	if time.Since(f.last) < postLogEvery {
		f.mu.Unlock()
		return
	}
	count := f.since
	f.since, f.last = 0, time.Now()
	f.mu.Unlock()
	f.log("cluster: sends whose result no script read failed", "failed", count, "node", node, "last_error", err)
}

// FailedPosts counts the posted sends (Post) that failed since the node
// started: to a socket no node holds or that was closing, to a node that
// did not answer in time. A script that does not use Websocket.send's result learns
// of none of them; this count and the log do.
func (n *Node) FailedPosts() int64 { return n.posts.total.Load() }
