package push

import (
	"log/slog"
	"sync"
	"time"
)

// marker commits deliveries in batches on a goroutine of its own: the
// writer that reports a frame written must not wait for a disk commit, and
// a batch of a connect's thousand frames is one commit, not a thousand.
type marker struct {
	store   MessageStore
	log     *slog.Logger
	reached *reached
	mu      sync.Mutex
	ids     []string
	wake    chan struct{}
	stop    chan struct{}
}

func (k *marker) init(store MessageStore, log *slog.Logger, r *reached) {
	k.store, k.log, k.reached = store, log, r
	k.wake, k.stop = make(chan struct{}, 1), make(chan struct{})
}

// add records id as delivered.
func (k *marker) add(id string) {
	k.mu.Lock()
	k.ids = append(k.ids, id)
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// run commits what add recorded until close, then once more.
func (k *marker) run(done *sync.WaitGroup) {
	defer done.Done()
	for {
		select {
		case <-k.wake:
			k.flush()
		case <-k.stop:
			k.flush()
			return
		}
	}
}

func (k *marker) flush() {
	k.mu.Lock()
	ids := k.ids
	k.ids = nil
	k.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	n, err := k.store.MarkDelivered(ids, time.Now())
	if err != nil {
		// They stay PENDING and are delivered again: at least once.
		k.log.Error("push: deliveries not recorded", "messages", len(ids), "error", err)
	}
	k.reached.add(Delivered, n)
}

func (k *marker) close() { close(k.stop) }
