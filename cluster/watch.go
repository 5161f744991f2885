package cluster

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
)

// errWatchEnded: a watch stopped without being asked to.
var errWatchEnded = errors.New("watch ended")

// follow watches the keys of kv that match filter until ctx ends, calling
// entry for each value, the current ones first, and synced once those have
// all been seen. It returns errWatchEnded when the watch stops on its own,
// so that the caller opens it again.
func follow(ctx context.Context, kv jetstream.KeyValue, filter string, entry func(e jetstream.KeyValueEntry, initial bool), synced func()) error {
	w, err := kv.Watch(ctx, filter)
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	initial := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return errWatchEnded
			case e == nil:
				initial = false
				synced()
			default:
				entry(e, initial)
			}
		}
	}
}
