package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/session"
	"github.com/luagate/luagate/storage"
)

// reconnectWait is how long the connection waits between attempts to reach
// NATS again: short, so that a node resumes soon after NATS returns.
const reconnectWait = 250 * time.Millisecond

// Replacer makes a revision another node stored the running solution;
// endpoints.Server is one.
type Replacer interface {
	Replace(sol scripts.Solution, rev uint64) error
}

// Node is this process's member of a cluster. Its methods are safe for
// concurrent use.
type Node struct {
	cfg  Config
	id   string
	log  *slog.Logger
	ns   *server.Server // the embedded server, if any
	nc   *nats.Conn
	subj subjects

	hub   *hub.Hub
	store *storage.Store
	repl  Replacer
	// history is this node's own session store, which other nodes read.
	history session.Store

	members  members
	interest interest
	batchMu  sync.Mutex
	batchers map[string]*batcher // by node
	posts    postFailures
	sol      replica
	keys     keyStore
	pushMsgs messageStore
	tokens   tokenStore
	pushOut  pushOut
	logMu    sync.Mutex
	logRing  *logs.Ring // this node's script log, which other nodes read

	// ready is set while JetStream's buckets are open and watched.
	ready    atomic.Bool
	whyMu    sync.Mutex
	why      string // why the cluster is unavailable, "" when it is not
	changed  chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closeMu  sync.Mutex
	closed   bool
	subs     []*nats.Subscription
	synced   chan struct{} // closed once the solution has been read once
	syncOnce sync.Once
}

// New starts the embedded NATS server if asked, and starts connecting to
// NATS; it does not wait for the connection, so a node starts while NATS
// is unreachable and joins when it comes. Start attaches the hub.
func New(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, id: cfg.NodeID, log: cfg.Logger.With("node", cfg.NodeID), subj: newSubjects(cfg.Name),
		changed: make(chan struct{}, 1), synced: make(chan struct{}), batchers: map[string]*batcher{}}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.posts.log = n.log.Warn
	n.members.init(n.id)
	n.interest.init(n)
	n.pushOut.init()
	n.keys.node, n.sol.node, n.pushMsgs.node, n.tokens.node = n, n, n, n
	n.setWhy("connecting to NATS")
	url := cfg.URLs
	if cfg.Embedded {
		if n.ns, err = StartEmbedded(Embedded{Name: n.id, Cluster: cfg.Name, Listen: cfg.Listen,
			ClusterListen: cfg.ClusterListen, Routes: cfg.Routes, StoreDir: storeDir(cfg.DataDir)}); err != nil {
			return nil, err
		}
		if url == "" {
			url = n.ns.ClientURL()
		}
	}
	n.nc, err = nats.Connect(url,
		nats.Name("luagate "+n.id),
		// This node answers for its own sockets itself; a publish to a
		// group it holds members of must not come back to it too.
		nats.NoEcho(),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(50*time.Millisecond, 50*time.Millisecond),
		nats.ConnectHandler(func(*nats.Conn) { n.connectionChanged() }),
		nats.ReconnectHandler(func(*nats.Conn) { n.connectionChanged() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.ready.Store(false)
			n.setWhy(fmt.Sprintf("NATS connection lost: %v", err))
			n.log.Warn("cluster unavailable: NATS connection lost", "err", err)
			n.connectionChanged()
		}),
	)
	if err != nil {
		n.shutdownServer()
		return nil, fmt.Errorf("cluster: connect to NATS %s: %w", url, err)
	}
	return n, nil
}

// ID is this node's id, which starts every socket id it makes.
func (n *Node) ID() string { return n.id }

// KeyChanged is hub.Config.OnKey: it marks t for the interest reconciler.
func (n *Node) KeyChanged(t hub.Target) { n.interest.mark(t) }

// Start attaches the node to h, whose sockets it serves to other nodes, to
// store, the local copy of the solution and the keys, and to repl, which
// installs revisions other nodes made. It waits up to the cluster timeout
// for the shared solution to be read once, so that a node that can reach
// NATS starts on the latest revision.
func (n *Node) Start(h *hub.Hub, store *storage.Store, repl Replacer) error {
	n.hub, n.store, n.repl = h, store, repl
	for subject, handler := range map[string]nats.MsgHandler{
		n.subj.node(n.id): n.serveNode,
		n.subj.heartbeat:  n.members.heard,
		n.subj.bye:        n.members.left,
	} {
		sub, err := n.nc.Subscribe(subject, handler)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subject, err)
		}
		n.subs = append(n.subs, sub)
	}
	n.wg.Add(4 + pushWorkers)
	for _, q := range n.pushOut.queues {
		go n.runPushOut(q)
	}
	go n.beat()
	go n.interest.run(n)
	go n.interest.serve(n)
	go n.jetStream()
	select {
	case <-n.synced:
	case <-time.After(n.cfg.Timeout):
		n.log.Warn("cluster: starting on the local revision; NATS is not reachable yet", "why", n.unavailable())
	}
	return nil
}

// Degraded says why the cluster is unavailable, "" when it is not: what
// health reports.
func (n *Node) Degraded() string {
	if n.ready.Load() && n.nc.IsConnected() {
		return ""
	}
	if why := n.unavailable(); why != "" {
		return "cluster unavailable: " + why
	}
	return "cluster unavailable"
}

func (n *Node) setWhy(why string) {
	n.whyMu.Lock()
	n.why = why
	n.whyMu.Unlock()
}

func (n *Node) unavailable() string {
	n.whyMu.Lock()
	defer n.whyMu.Unlock()
	return n.why
}

// connectionChanged wakes the JetStream loop.
func (n *Node) connectionChanged() {
	select {
	case n.changed <- struct{}{}:
	default:
	}
}

// jetStream opens the buckets and watches them whenever the connection is
// up, and again after each reconnect, until Close.
func (n *Node) jetStream() {
	defer n.wg.Done()
	retry := time.NewTimer(0)
	defer retry.Stop()
	var stop context.CancelFunc = func() {}
	var watches sync.WaitGroup
	defer func() { stop(); watches.Wait() }()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.changed:
		case <-retry.C:
		}
		stop()
		watches.Wait()
		if !n.nc.IsConnected() {
			continue
		}
		ctx, cancel := context.WithCancel(n.ctx)
		stop = cancel
		if err := n.openBuckets(ctx, &watches); err != nil {
			cancel()
			watches.Wait()
			n.setWhy(fmt.Sprintf("JetStream: %v", err))
			n.log.Warn("cluster: JetStream not ready; retrying", "err", err)
			retry.Reset(time.Second)
			continue
		}
		n.setWhy("")
		n.ready.Store(true)
		n.log.Info("cluster ready", "nats", n.nc.ConnectedUrlRedacted())
	}
}

// openBuckets opens every bucket and starts its watch under ctx.
func (n *Node) openBuckets(ctx context.Context, watches *sync.WaitGroup) error {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return err
	}
	for _, b := range []struct {
		name  string
		open  func(jetstream.KeyValue)
		watch func(context.Context, jetstream.KeyValue) error
	}{
		{n.subj.bucket("solution"), n.sol.open, n.sol.watch},
		{n.subj.bucket("keys"), n.keys.open, n.keys.watch},
		{n.subj.bucket("interest"), n.interest.open, n.interest.watch},
		{n.subj.bucket("push"), n.pushMsgs.open, nil},
		{n.subj.bucket("tokens"), n.tokens.open, n.tokens.watch},
	} {
		kv, err := n.bucket(ctx, js, b.name)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", b.name, err)
		}
		b.open(kv)
		if b.watch == nil {
			continue
		}
		watches.Add(1)
		go func() {
			defer watches.Done()
			if err := b.watch(ctx, kv); err != nil && ctx.Err() == nil {
				n.log.Warn("cluster: watch stopped", "bucket", b.name, "err", err)
				n.ready.Store(false)
				n.connectionChanged()
			}
		}()
	}
	return nil
}

// bucket opens or creates a key-value bucket, replicated on three servers
// where NATS is a cluster and on one where it is a single server. The
// embedded servers' count is known from the routes; an external NATS is
// asked for three and, refusing, one.
func (n *Node) bucket(ctx context.Context, js jetstream.JetStream, name string) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*n.cfg.Timeout)
	defer cancel()
	if kv, err := js.KeyValue(ctx, name); err == nil {
		return kv, nil
	}
	if r := n.cfg.replicas(); r > 0 {
		return js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, History: 1, Replicas: r})
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, History: 1, Replicas: 3})
	if err == nil {
		return kv, nil
	}
	return js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, History: 1, Replicas: 1})
}

// op returns a context for one cluster operation, bounded by the timeout.
func (n *Node) op() (context.Context, context.CancelFunc) {
	return context.WithTimeout(n.ctx, n.cfg.Timeout)
}

// listing returns a context for an operation that reads or changes many
// keys: a listing, a sweep, a batch of deliveries.
func (n *Node) listing() (context.Context, context.CancelFunc) {
	return context.WithTimeout(n.ctx, 5*n.cfg.Timeout)
}

// Shutdown leaves the cluster: peers are told at once, subscriptions end,
// the goroutines stop, the connection and the embedded server close.
func (n *Node) Shutdown() {
	n.stop(true)
}

// Kill drops out of the cluster without a word, as a node killed with
// SIGKILL would: for tests of what the others do then.
func (n *Node) Kill() {
	n.stop(false)
}

func (n *Node) stop(polite bool) {
	n.closeMu.Lock()
	defer n.closeMu.Unlock()
	if n.closed {
		return
	}
	n.closed = true
	if polite && n.nc.IsConnected() {
		_ = n.nc.Publish(n.subj.bye, []byte(n.id))
		_ = n.nc.FlushTimeout(n.cfg.Timeout)
	}
	n.cancel()
	for _, s := range n.subs {
		_ = s.Unsubscribe()
	}
	n.wg.Wait()
	n.interest.closeSubs()
	n.nc.Close()
	n.shutdownServer()
}

func (n *Node) shutdownServer() {
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
	}
}
