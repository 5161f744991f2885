package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/hub"
)

// shared is a key-value bucket a store reaches: set by the JetStream loop
// each time the buckets are opened, and refused while NATS is away.
type shared struct {
	node *Node
	mu   sync.Mutex
	kv   jetstream.KeyValue
}

func (s *shared) open(kv jetstream.KeyValue) {
	s.mu.Lock()
	s.kv = kv
	s.mu.Unlock()
}

// bucket returns the bucket, or ErrClusterUnavailable.
func (s *shared) bucket() (jetstream.KeyValue, error) {
	s.mu.Lock()
	kv := s.kv
	s.mu.Unlock()
	if kv == nil || !s.node.nc.IsConnected() {
		return nil, s.node.unavailableErr()
	}
	return kv, nil
}

// create stores v as JSON under key, a new key, in the bucket; what
// names it in errors.
func (s *shared) create(key string, v any, what string) error {
	kv, err := s.bucket()
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	ctx, cancel := s.node.op()
	defer cancel()
	if _, err := kv.Create(ctx, key, b); err != nil {
		return unavailable("store "+what, err)
	}
	return nil
}

// unavailable wraps a bucket operation's failure as the cluster's.
func unavailable(what string, err error) error {
	return fmt.Errorf("%s: %w: %v", what, hub.ErrClusterUnavailable, err)
}

// snapshot reads the current values of the keys of kv that match filter,
// through one watch: a listing costs one consumer, not a request per key.
func snapshot(ctx context.Context, kv jetstream.KeyValue, filter string) ([]jetstream.KeyValueEntry, error) {
	w, err := kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.Stop() }()
	var out []jetstream.KeyValueEntry
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return nil, errWatchEnded
			case e == nil:
				return out, nil
			default:
				out = append(out, e)
			}
		}
	}
}

// keysOf lists the keys of kv that match filter; none is no error.
func keysOf(ctx context.Context, kv jetstream.KeyValue, filter string) ([]string, error) {
	l, err := kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, err
	}
	defer func() { _ = l.Stop() }() // its watch may have ended already
	var out []string
	for k := range l.Keys() {
		out = append(out, k)
	}
	return out, nil
}
