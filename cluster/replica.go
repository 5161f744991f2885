package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/scripts"
)

// solutionKey is the one key of the solution bucket.
const solutionKey = "solution"

// revision is a solution as the bucket keeps it: the endpoints' UpdatedAt
// travel beside it, as a solution's JSON leaves them out.
type revision struct {
	Revision uint64           `json:"revision"`
	Solution scripts.Solution `json:"solution"`
	// Updated holds each endpoint's UpdatedAt, in the order of
	// Solution.Endpoints.
	Updated []time.Time `json:"updated"`
}

func encodeRevision(sol scripts.Solution, rev uint64) []byte {
	r := revision{Revision: rev, Solution: sol, Updated: make([]time.Time, len(sol.Endpoints))}
	for i, e := range sol.Endpoints {
		r.Updated[i] = e.UpdatedAt
	}
	b, _ := json.Marshal(r)
	return b
}

func decodeRevision(b []byte) (scripts.Solution, uint64, error) {
	var r revision
	if err := json.Unmarshal(b, &r); err != nil {
		return scripts.Solution{}, 0, fmt.Errorf("shared solution: %w", err)
	}
	if err := r.Solution.CheckDecoded(); err != nil {
		return scripts.Solution{}, 0, fmt.Errorf("shared solution: %w", err)
	}
	if len(r.Updated) != len(r.Solution.Endpoints) {
		return scripts.Solution{}, 0, fmt.Errorf("shared solution: %d endpoints but %d update times", len(r.Solution.Endpoints), len(r.Updated))
	}
	for i := range r.Solution.Endpoints {
		r.Solution.Endpoints[i].UpdatedAt = r.Updated[i]
	}
	return r.Solution, r.Revision, nil
}

// replica keeps the local solution in step with the shared one: every
// change goes to the bucket first, with a compare-and-set on the bucket
// revision last seen, then to bbolt.
type replica struct {
	node *Node
	mu   sync.Mutex
	kv   jetstream.KeyValue
	// seen is the bucket revision of the latest shared solution this node
	// has, the one a change here must replace.
	seen uint64
}

func (r *replica) open(kv jetstream.KeyValue) {
	r.mu.Lock()
	r.kv = kv
	r.mu.Unlock()
}

// Solutions is what endpoints.Config.Solutions needs: each deploy on this
// node, agreed with the cluster.
func (n *Node) Solutions() endpoints.SolutionSaver { return &n.sol }

// Save stores a change made on this node: in the bucket, unless another
// node's change came first (scripts.ErrRevisionConflict), then in bbolt.
// Without the cluster it is refused, never applied here only. Like
// storage.Store.Save, it takes sol over.
func (r *replica) Save(sol scripts.Solution) (scripts.Solution, uint64, error) {
	n := r.node
	r.mu.Lock()
	kv, seen := r.kv, r.seen
	r.mu.Unlock()
	if kv == nil || !n.ready.Load() || !n.nc.IsConnected() {
		return scripts.Solution{}, 0, fmt.Errorf("deploy refused: %w", n.unavailableErr())
	}
	staged, rev, err := n.store.Stage(sol)
	if err != nil {
		return scripts.Solution{}, 0, err
	}
	ctx, cancel := n.op()
	defer cancel()
	if cur, curRev, ok := r.unchanged(ctx, kv, seen, staged); ok {
		// Nodes that deploy the same project at start make one revision.
		return cur, curRev, nil
	}
	var seq uint64
	if seen == 0 {
		seq, err = kv.Create(ctx, solutionKey, encodeRevision(staged, rev))
	} else {
		seq, err = kv.Update(ctx, solutionKey, encodeRevision(staged, rev), seen)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return scripts.Solution{}, 0, fmt.Errorf("deploy refused: %w: another node deployed first; read the solution again", scripts.ErrRevisionConflict)
	case err != nil:
		return scripts.Solution{}, 0, fmt.Errorf("deploy refused: %w: %v", hub.ErrClusterUnavailable, err)
	}
	r.saw(seq)
	if err := n.store.SaveRevision(staged, rev); err != nil {
		return scripts.Solution{}, 0, err
	}
	return staged, rev, nil
}

// unchanged reports whether staged is what the latest shared revision
// holds already, and returns that revision as stored here.
func (r *replica) unchanged(ctx context.Context, kv jetstream.KeyValue, seen uint64, staged scripts.Solution) (scripts.Solution, uint64, bool) {
	if seen == 0 {
		return scripts.Solution{}, 0, false
	}
	e, err := kv.Get(ctx, solutionKey)
	if err != nil || e.Revision() != seen {
		return scripts.Solution{}, 0, false
	}
	cur, rev, err := decodeRevision(e.Value())
	if err != nil || !bytes.Equal(encodeRevision(cur, 0), encodeRevision(staged, 0)) {
		return scripts.Solution{}, 0, false
	}
	return cur, rev, true
}

func (r *replica) saw(seq uint64) {
	r.mu.Lock()
	r.seen = max(r.seen, seq)
	r.mu.Unlock()
}

// watch installs every revision another node stores, until ctx ends. An
// empty bucket gets this node's revision, if it has one: the first node
// of a new cluster brings the solution it had.
func (r *replica) watch(ctx context.Context, kv jetstream.KeyValue) error {
	return follow(ctx, kv, solutionKey, func(e jetstream.KeyValueEntry, _ bool) {
		if e.Operation() == jetstream.KeyValuePut {
			r.install(e)
		}
	}, func() {
		r.seed(ctx, kv)
		r.node.syncOnce.Do(func() { close(r.node.synced) })
	})
}

// install makes the revision e holds the running one here.
func (r *replica) install(e jetstream.KeyValueEntry) {
	n := r.node
	r.mu.Lock()
	seen := r.seen
	r.mu.Unlock()
	if e.Revision() <= seen {
		return
	}
	sol, rev, err := decodeRevision(e.Value())
	if err == nil {
		err = n.repl.Replace(sol, rev)
	}
	if err != nil {
		n.log.Error("cluster: shared revision not installed; the last good one keeps running", "err", err)
	}
	// Seen even when refused: a change here must replace it all the same.
	r.saw(e.Revision())
}

// seed stores this node's solution in an empty bucket.
func (r *replica) seed(ctx context.Context, kv jetstream.KeyValue) {
	n := r.node
	r.mu.Lock()
	seen := r.seen
	r.mu.Unlock()
	if seen != 0 {
		return
	}
	sol, rev, err := n.store.Load()
	if err != nil || rev == 0 {
		return
	}
	seq, err := kv.Create(ctx, solutionKey, encodeRevision(sol, rev))
	if err == nil {
		r.saw(seq)
		n.log.Info("cluster: shared this node's solution", "revision", rev)
	}
}
