package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/push"
)

// ClaimLease is how long a node's claim on a PENDING message keeps the
// other nodes from delivering it: the time it has to write the frames
// and mark them. A claim of a node that is gone (unheard for NodeTimeout)
// lapses at once.
const ClaimLease = 30 * time.Second

// casRetries bounds the attempts of a compare-and-set that lost a race.
const casRetries = 5

// The push bucket's keys. A recipient name may hold any byte, so it is
// written in unpadded base64url; a message id is push.NewID's hex.
//
//	m.<id>                 a message, as a pushRecord
//	p.<recipient>.<id>     present while the message is PENDING: the
//	                       recipient's queue, which a connect lists
//	g.<id>                 a global message
//	c.<global>.<recipient> the recipient has its copy of the global message
const (
	prefixMessage = "m."
	prefixPending = "p."
	prefixGlobal  = "g."
	prefixCopy    = "c."
)

func recipientKey(r string) string { return base64.RawURLEncoding.EncodeToString([]byte(r)) }

func pendingKey(r, id string) string { return prefixPending + recipientKey(r) + "." + id }

func copyKey(global, r string) string { return prefixCopy + global + "." + recipientKey(r) }

// validID reports whether id can be part of a key: an id from a request
// may be anything, and no such message exists.
func validID(id string) bool {
	return id != "" && len(id) <= 128 && !strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	})
}

// pushRecord is a message as the bucket keeps it: with the node that
// claimed its delivery, until when.
type pushRecord struct {
	push.Message
	ClaimedBy  string    `json:"claimed_by,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
}

// messageStore implements push.MessageStore on the push bucket. Every
// status change is a compare-and-set on the message's revision, so two
// nodes never both move a message out of PENDING, and a connect claims
// each PENDING message it is to deliver, so only one node delivers it.
type messageStore struct {
	shared
	strMu sync.Mutex
	str   jetstream.Stream // the bucket's stream, once looked up
}

func (s *messageStore) open(kv jetstream.KeyValue) {
	s.shared.open(kv)
	s.strMu.Lock()
	s.str = nil
	s.strMu.Unlock()
}

// stream returns the stream under kv, for what the key-value API does not
// offer: counting keys without reading them, removing one without a marker.
func (s *messageStore) stream(ctx context.Context, kv jetstream.KeyValue) (jetstream.Stream, error) {
	s.strMu.Lock()
	defer s.strMu.Unlock()
	if s.str != nil {
		return s.str, nil
	}
	js, err := jetstream.New(s.node.nc)
	if err != nil {
		return nil, err
	}
	if s.str, err = js.Stream(ctx, "KV_"+kv.Bucket()); err != nil {
		return nil, err
	}
	return s.str, nil
}

// subject is key's subject in kv's stream.
func subject(kv jetstream.KeyValue, key string) string { return "$KV." + kv.Bucket() + "." + key }

// queued counts recipient's PENDING messages: the count an ephemeral
// consumer of its queue starts with, two requests however long the queue.
// It is exact because a queue entry leaves without a marker (dequeue).
func (s *messageStore) queued(ctx context.Context, kv jetstream.KeyValue, recipient string) (int, error) {
	return s.count(ctx, kv, prefixPending+recipientKey(recipient)+".*")
}

// count is how many keys match filter, a subject pattern of kv's keys,
// the way queued counts one queue.
func (s *messageStore) count(ctx context.Context, kv jetstream.KeyValue, filter string) (int, error) {
	str, err := s.stream(ctx, kv)
	if err != nil {
		return 0, err
	}
	c, err := str.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject: subject(kv, filter),
		DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy, AckPolicy: jetstream.AckNonePolicy,
		MemoryStorage: true, InactiveThreshold: time.Minute,
	})
	if err != nil {
		return 0, err
	}
	info := c.CachedInfo()
	_ = str.DeleteConsumer(ctx, info.Name)
	return int(info.NumPending), nil
}

// PushMessages is what push.Config.Messages needs in a cluster: the
// messages every node shares.
func (n *Node) PushMessages() push.MessageStore { return &n.pushMsgs }

// AddMessages implements push.MessageStore. The cap counts the PENDING
// messages the bucket holds when the push starts: pushes racing on two
// nodes may overshoot it by what they add between them. A push is one
// write per message, not one transaction: when the first fails nothing
// is stored and the push fails; a later one fails its message only.
func (s *messageStore) AddMessages(msgs []push.Message, max int) ([]error, error) {
	kv, err := s.bucket()
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.node.op()
	defer cancel()
	errs := make([]error, len(msgs))
	counts := map[string]int{}
	for i := range msgs {
		m := &msgs[i]
		if m.Status == push.Pending && max > 0 {
			n, known := counts[m.Recipient]
			if !known {
				var err error
				if n, err = s.queued(ctx, kv, m.Recipient); err != nil {
					return nil, unavailable("count pending messages of "+m.Recipient, err)
				}
			}
			if n >= max {
				counts[m.Recipient] = n
				errs[i] = fmt.Errorf("recipient %s has %d pending messages, the limit: %w", m.Recipient, max, push.ErrTooManyPending)
				continue
			}
			counts[m.Recipient] = n + 1
		}
		if err := s.createMessage(ctx, kv, m); err != nil {
			if i == 0 {
				return nil, err
			}
			errs[i] = err
		}
	}
	return errs, nil
}

// createMessage stores a new message, then its place in its recipient's queue:
// in that order, so that a queue entry always names a stored message.
func (s *messageStore) createMessage(ctx context.Context, kv jetstream.KeyValue, m *push.Message) error {
	b, err := json.Marshal(pushRecord{Message: *m})
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	if _, err := kv.Create(ctx, prefixMessage+m.ID, b); err != nil {
		return unavailable("store message "+m.ID, err)
	}
	if m.Status != push.Pending {
		return nil
	}
	if _, err := kv.Create(ctx, pendingKey(m.Recipient, m.ID), nil); err != nil {
		return unavailable("queue message "+m.ID, err)
	}
	return nil
}

// get reads the record of message id and its revision.
func get(ctx context.Context, kv jetstream.KeyValue, id string) (pushRecord, uint64, error) {
	if !validID(id) {
		return pushRecord{}, 0, push.ErrUnknown
	}
	e, err := kv.Get(ctx, prefixMessage+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return pushRecord{}, 0, push.ErrUnknown
	}
	if err != nil {
		return pushRecord{}, 0, unavailable("read message "+id, err)
	}
	var r pushRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return pushRecord{}, 0, fmt.Errorf("message %s: %w", id, err)
	}
	return r, e.Revision(), nil
}

// Message implements push.MessageStore.
func (s *messageStore) Message(id string) (push.Message, error) {
	kv, err := s.bucket()
	if err != nil {
		return push.Message{}, err
	}
	ctx, cancel := s.node.op()
	defer cancel()
	r, _, err := get(ctx, kv, id)
	return r.Message, err
}

// change applies edit to message id with a compare-and-set, again from a
// fresh read when another write came first, and answers the record as
// stored. edit answers an error to leave the message as it is. A message
// that leaves PENDING leaves its recipient's queue too.
func (s *messageStore) change(ctx context.Context, kv jetstream.KeyValue, id string, edit func(*pushRecord) error) (pushRecord, error) {
	for range casRetries {
		r, rev, err := get(ctx, kv, id)
		if err != nil {
			return r, err
		}
		if err := edit(&r); err != nil {
			return r, err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return r, fmt.Errorf("encode message %s: %w", id, err)
		}
		_, err = kv.Update(ctx, prefixMessage+id, b, rev)
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // another node wrote it meanwhile
		}
		if err != nil {
			return r, unavailable("update message "+id, err)
		}
		if r.Status != push.Pending {
			s.dequeue(ctx, kv, &r.Message)
		}
		return r, nil
	}
	return pushRecord{}, fmt.Errorf("message %s: %w: it kept changing", id, push.ErrConflict)
}

// dequeue removes m from its recipient's queue, best effort: a stale
// entry is removed by the next connect that finds it. It purges the
// entry's subject from the stream rather than the key, which would leave
// a marker: nobody watches the queues, and the count (queued) stays exact.
func (s *messageStore) dequeue(ctx context.Context, kv jetstream.KeyValue, m *push.Message) {
	str, err := s.stream(ctx, kv)
	if err == nil {
		err = str.Purge(ctx, jetstream.WithPurgeSubject(subject(kv, pendingKey(m.Recipient, m.ID))))
	}
	if err != nil {
		s.node.log.Debug("cluster: dequeue push message", "id", m.ID, "err", err)
	}
}

// finish is the edit that moves a PENDING message to status at at.
func finish(status push.Status, at time.Time) func(*pushRecord) error {
	return func(r *pushRecord) error {
		r.ClaimedBy, r.LeaseUntil = "", time.Time{}
		return r.Finish(status, at)
	}
}

// Pending implements push.MessageStore: it claims each message it
// returns for this node for ClaimLease, and skips those another live
// node has claimed.
func (s *messageStore) Pending(recipient string, now time.Time) ([]push.Message, error) {
	kv, err := s.bucket()
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.node.listing()
	defer cancel()
	keys, err := keysOf(ctx, kv, prefixPending+recipientKey(recipient)+".*")
	if err != nil {
		return nil, unavailable("list pending messages", err)
	}
	var out []push.Message
	for _, k := range keys {
		id := k[strings.LastIndexByte(k, '.')+1:]
		r, err := s.change(ctx, kv, id, func(r *pushRecord) error {
			switch {
			case r.Status != push.Pending || !r.Deadline().After(now):
				return errSkip
			case r.ClaimedBy != "" && r.ClaimedBy != s.node.id && r.LeaseUntil.After(now) && s.node.members.live(r.ClaimedBy):
				return errSkip
			}
			r.ClaimedBy, r.LeaseUntil = s.node.id, now.Add(ClaimLease)
			return nil
		})
		switch {
		case err == nil:
			out = append(out, r.Message)
		case errors.Is(err, errSkip) && r.Status != push.Pending && r.ID != "":
			s.dequeue(ctx, kv, &r.Message)
		case errors.Is(err, errSkip), errors.Is(err, push.ErrUnknown):
		default:
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b push.Message) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// errSkip: an edit that leaves a message as it is, without an error.
var errSkip = errors.New("skip")

// Cancel implements push.MessageStore.
func (s *messageStore) Cancel(id string, at time.Time) (push.Message, error) {
	kv, err := s.bucket()
	if err != nil {
		return push.Message{}, err
	}
	ctx, cancel := s.node.op()
	defer cancel()
	r, err := s.change(ctx, kv, id, finish(push.Cancelled, at))
	return r.Message, err
}

// MarkDelivered implements push.MessageStore.
func (s *messageStore) MarkDelivered(ids []string, at time.Time) (int, error) {
	kv, err := s.bucket()
	if err != nil {
		return 0, err
	}
	ctx, cancel := s.node.listing()
	defer cancel()
	var errs []error
	marked := 0
	for _, id := range ids {
		_, err := s.change(ctx, kv, id, finish(push.Delivered, at))
		switch {
		case err == nil:
			marked++
		case !errors.Is(err, push.ErrConflict) && !errors.Is(err, push.ErrUnknown):
			errs = append(errs, err)
		}
	}
	return marked, errors.Join(errs...)
}

// PendingCount implements push.MessageStore: every recipient's queue
// counted at once.
func (s *messageStore) PendingCount() (int, error) {
	kv, err := s.bucket()
	if err != nil {
		return 0, err
	}
	ctx, cancel := s.node.listing()
	defer cancel()
	return s.count(ctx, kv, prefixPending+">")
}
