package cluster

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/hub"
)

// interest is which nodes hold sockets of which user, session name, route
// and group: this node's own subscriptions to those keys' subjects, and
// every node's, as the interest bucket records them (a key per token and
// node, "g.<hash>.<node>").
type interest struct {
	n       *Node
	mu      sync.Mutex
	dirty   map[hub.Target]struct{}
	wake    chan struct{}
	subs    map[string]*nats.Subscription  // this node's, by token
	holders map[string]map[string]struct{} // token → nodes, from the bucket
	// lingering are the subscriptions kept a while after their last socket
	// left (see linger), with when they end.
	lingering map[string]time.Time

	// msgs receives the requests of every key subject: one goroutine
	// answers them all (serve), not one per subscription, as a node may
	// hold the sockets of many thousand users.
	msgs chan *nats.Msg

	kvMu sync.Mutex
	kv   jetstream.KeyValue // nil until the bucket is open
}

// keyBacklog is how many key requests may wait for serve; past it NATS
// drops them, as for any slow consumer.
const keyBacklog = 1 << 16

// serve answers the requests of the key subjects until Shutdown.
func (in *interest) serve(n *Node) {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case msg := <-in.msgs:
			n.serveNode(msg)
		}
	}
}

func (in *interest) init(n *Node) {
	in.n = n
	in.dirty = map[hub.Target]struct{}{}
	in.wake = make(chan struct{}, 1)
	in.msgs = make(chan *nats.Msg, keyBacklog)
	in.subs = map[string]*nats.Subscription{}
	in.lingering = map[string]time.Time{}
	in.holders = map[string]map[string]struct{}{}
}

// mark notes that t may have gained or lost its sockets here. It is called
// with a hub shard lock held, so it only records and wakes run.
func (in *interest) mark(t hub.Target) {
	in.mu.Lock()
	in.dirty[t] = struct{}{}
	in.mu.Unlock()
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// run subscribes to the subject of each key this node gains sockets of
// and unsubscribes from each it loses, recording both in the bucket, until
// Close.
func (in *interest) run(n *Node) {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-in.wake:
		}
		in.mu.Lock()
		batch := make([]hub.Target, 0, len(in.dirty))
		for t := range in.dirty {
			batch = append(batch, t)
		}
		clear(in.dirty)
		in.mu.Unlock()
		var added, removed []string
		for _, t := range batch {
			switch in.reconcile(n, t) {
			case gained:
				added = append(added, tokenOf(t))
			case lost:
				removed = append(removed, tokenOf(t))
			}
		}
		if len(added) > 0 {
			// The subscriptions reach the server before other nodes learn
			// of them, so a send that counts on them finds them there.
			_ = n.nc.FlushTimeout(n.cfg.Timeout)
		}
		in.record(n, added, removed)
	}
}

// The outcomes of reconcile.
const (
	unchanged = iota
	gained
	lost
)

// linger is how long a node stays subscribed to a key it has lost its
// sockets of, answering "none" meanwhile: until the other nodes have seen
// it leave the interest bucket, they still wait for its answer.
const linger = time.Second

// reconcile makes this node's subscription to t's subject match whether
// it holds sockets of t, and says whether the bucket must learn of it.
func (in *interest) reconcile(n *Node, t hub.Target) int {
	token := tokenOf(t)
	has := n.hub.HasLocal(t)
	in.mu.Lock()
	defer in.mu.Unlock()
	sub, subscribed := in.subs[token]
	until, lingering := in.lingering[token]
	switch {
	case has && !subscribed:
		s, err := n.nc.ChanSubscribe(n.subj.key(token), in.msgs)
		if err != nil {
			n.log.Warn("cluster: subscribe", "key", t.Key, "err", err)
			return unchanged
		}
		in.subs[token] = s
		return gained
	case has && lingering:
		delete(in.lingering, token)
		return gained
	case !has && subscribed && !lingering:
		in.lingering[token] = time.Now().Add(linger)
		time.AfterFunc(linger, func() { in.mark(t) })
		return lost
	case !has && lingering && !time.Now().Before(until):
		_ = sub.Unsubscribe()
		delete(in.subs, token)
		delete(in.lingering, token)
	}
	return unchanged
}

// record writes this node's gained and lost keys to the bucket, when it is
// open; openBuckets rewrites them all when it opens.
func (in *interest) record(n *Node, added, removed []string) {
	in.kvMu.Lock()
	kv := in.kv
	in.kvMu.Unlock()
	if kv == nil {
		return
	}
	ctx, cancel := n.op()
	defer cancel()
	for _, token := range added {
		in.setHolder(token, n.id, true)
		if _, err := kv.Put(ctx, token+"."+n.id, nil); err != nil {
			n.log.Warn("cluster: record interest", "err", err)
		}
	}
	for _, token := range removed {
		in.setHolder(token, n.id, false)
		if err := kv.Purge(ctx, token+"."+n.id); err != nil {
			n.log.Warn("cluster: record interest", "err", err)
		}
	}
}

// open is the interest bucket's, called on each (re)connect.
func (in *interest) open(kv jetstream.KeyValue) {
	in.kvMu.Lock()
	in.kv = kv
	in.kvMu.Unlock()
}

// watch keeps holders in step with the bucket until ctx ends. Once the
// bucket's current keys are read, this node's own are made to match its
// subscriptions.
func (in *interest) watch(ctx context.Context, kv jetstream.KeyValue) error {
	fresh := map[string]map[string]struct{}{}
	return follow(ctx, kv, jetstream.AllKeys, func(e jetstream.KeyValueEntry, initial bool) {
		token, node, ok := splitInterest(e.Key())
		if !ok {
			return
		}
		put := e.Operation() == jetstream.KeyValuePut
		if !initial {
			in.setHolder(token, node, put)
		} else if put {
			addHolder(fresh, token, node)
		}
	}, func() {
		in.mu.Lock()
		in.holders = fresh
		in.mu.Unlock()
		in.resync(ctx, in.n, kv)
	})
}

// resync makes the bucket's keys of this node match its subscriptions:
// what it recorded before a restart or while NATS was away is stale.
func (in *interest) resync(ctx context.Context, n *Node, kv jetstream.KeyValue) {
	in.mu.Lock()
	mine := make(map[string]bool, len(in.subs))
	for token := range in.subs {
		if _, ok := in.lingering[token]; ok {
			continue
		}
		mine[token] = true
		addHolder(in.holders, token, n.id)
	}
	var stale []string
	for token, nodes := range in.holders {
		if _, ok := nodes[n.id]; ok && !mine[token] {
			stale = append(stale, token)
			delete(nodes, n.id)
		}
	}
	in.mu.Unlock()
	for token := range mine {
		if _, err := kv.Put(ctx, token+"."+n.id, nil); err != nil {
			n.log.Warn("cluster: record interest", "err", err)
			return
		}
	}
	for _, token := range stale {
		_ = kv.Purge(ctx, token+"."+n.id)
	}
}

func (in *interest) setHolder(token, node string, holds bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if holds {
		addHolder(in.holders, token, node)
		return
	}
	delete(in.holders[token], node)
	if len(in.holders[token]) == 0 {
		delete(in.holders, token)
	}
}

func addHolder(m map[string]map[string]struct{}, token, node string) {
	set := m[token]
	if set == nil {
		set = map[string]struct{}{}
		m[token] = set
	}
	set[node] = struct{}{}
}

// nodesOf returns the nodes that hold sockets of token, sorted.
func (in *interest) nodesOf(token string) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]string, 0, len(in.holders[token]))
	for node := range in.holders[token] {
		out = append(out, node)
	}
	slices.Sort(out)
	return out
}

// closeSubs ends this node's key subscriptions.
func (in *interest) closeSubs() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for token, s := range in.subs {
		_ = s.Unsubscribe()
		delete(in.subs, token)
	}
}

// splitInterest splits a bucket key "g.<hash>.<node>" into token and node.
func splitInterest(key string) (token, node string, ok bool) {
	i := strings.Index(key, ".")
	if i < 0 {
		return "", "", false
	}
	j := strings.Index(key[i+1:], ".")
	if j < 0 {
		return "", "", false
	}
	return key[:i+1+j], key[i+2+j:], true
}
