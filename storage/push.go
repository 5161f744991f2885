package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/push"
)

// The push buckets, created by the first message stored (doc.go).
var (
	bucketPushMessages  = []byte("pushmessages")
	bucketPushByRcpt    = []byte("pushbyrecipient")
	bucketPushByTime    = []byte("pushbytime")
	bucketPushPending   = []byte("pushpending")
	bucketPushExpiry    = []byte("pushexpiry")
	bucketPushFinished  = []byte("pushfinished")
	bucketPushCounts    = []byte("pushcounts")
	bucketPushGlobals   = []byte("pushglobals")
	bucketPushGlobTime  = []byte("pushglobalbytime")
	bucketPushGlobExp   = []byte("pushglobalexpiry")
	bucketPushGlobClaim = []byte("pushglobalclaims")

	pushBuckets = [][]byte{bucketPushMessages, bucketPushByRcpt, bucketPushByTime, bucketPushPending,
		bucketPushExpiry, bucketPushFinished, bucketPushCounts, bucketPushGlobals, bucketPushGlobTime,
		bucketPushGlobExp, bucketPushGlobClaim}
)

// pushTx holds the push buckets of one transaction.
type pushTx map[string]*bolt.Bucket

func (p pushTx) b(name []byte) *bolt.Bucket { return p[string(name)] }

// pushUpdate runs fn in a write transaction with the push buckets.
func (s *Store) pushUpdate(what string, fn func(pushTx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		p := pushTx{}
		for _, name := range pushBuckets {
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			p[string(name)] = b
		}
		return fn(p)
	})
	return s.pushError(what, err)
}

// pushView runs fn in a read transaction; without the push buckets there
// is nothing to read and fn is not called.
func (s *Store) pushView(what string, fn func(pushTx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		p := pushTx{}
		for _, name := range pushBuckets {
			b := tx.Bucket(name)
			if b == nil {
				return nil
			}
			p[string(name)] = b
		}
		return fn(p)
	})
	return s.pushError(what, err)
}

// pushError wraps a failed transaction's err as opError does, except the
// answers push gives its callers (ErrUnknown, ErrConflict), which are the
// client's to see without the file's path.
func (s *Store) pushError(what string, err error) error {
	if err == nil || errors.Is(err, push.ErrUnknown) || errors.Is(err, push.ErrConflict) {
		return err
	}
	return s.opError(what, err)
}

// timeKey is t's Unix nanoseconds, big-endian, then id: bbolt's byte order
// is then time order.
func timeKey(prefix []byte, t time.Time, id string) []byte {
	k := make([]byte, 0, len(prefix)+8+len(id))
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
	return append(k, id...)
}

// keyTime reads the time in a timeKey after prefix bytes.
func keyTime(k []byte, prefix int) time.Time {
	if len(k) < prefix+8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[prefix:])))
}

// rcptPrefix is the prefix of a recipient's keys; recipients hold no NUL.
func rcptPrefix(recipient string) []byte { return append([]byte(recipient), 0) }

func (p pushTx) message(id []byte) (push.Message, error) {
	var m push.Message
	v := p.b(bucketPushMessages).Get(id)
	if v == nil {
		return m, push.ErrUnknown
	}
	if err := json.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("%w: message %s: %v", ErrCorrupt, id, err)
	}
	return m, nil
}

func (p pushTx) putMessage(m *push.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	return p.b(bucketPushMessages).Put([]byte(m.ID), b)
}

func (p pushTx) count(recipient string) uint64 {
	v := p.b(bucketPushCounts).Get([]byte(recipient))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (p pushTx) addCount(recipient string, d int) error {
	n := int64(p.count(recipient)) + int64(d)
	if n <= 0 {
		return p.b(bucketPushCounts).Delete([]byte(recipient))
	}
	return p.b(bucketPushCounts).Put([]byte(recipient), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// insert writes a new message with its indexes.
func (p pushTx) insert(m *push.Message) error {
	if p.b(bucketPushMessages).Get([]byte(m.ID)) != nil {
		return fmt.Errorf("message %s exists already", m.ID)
	}
	rk := rcptPrefix(m.Recipient)
	err := errors.Join(p.putMessage(m),
		p.b(bucketPushByRcpt).Put(timeKey(rk, m.CreatedAt, m.ID), nil),
		p.b(bucketPushByTime).Put(timeKey(nil, m.CreatedAt, m.ID), nil))
	if err != nil {
		return err
	}
	if m.Status != push.Pending {
		return p.b(bucketPushFinished).Put(timeKey(nil, m.FinishedAt(), m.ID), nil)
	}
	return errors.Join(p.b(bucketPushPending).Put(timeKey(rk, m.CreatedAt, m.ID), nil),
		p.b(bucketPushExpiry).Put(timeKey(nil, m.Deadline(), m.ID), nil),
		p.addCount(m.Recipient, 1))
}

// finish moves a PENDING message to status at at, with its indexes.
func (p pushTx) finish(m *push.Message, status push.Status, at time.Time) error {
	if err := m.Finish(status, at); err != nil {
		return err
	}
	return errors.Join(p.putMessage(m),
		p.b(bucketPushPending).Delete(timeKey(rcptPrefix(m.Recipient), m.CreatedAt, m.ID)),
		p.b(bucketPushExpiry).Delete(timeKey(nil, m.Deadline(), m.ID)),
		p.b(bucketPushFinished).Put(timeKey(nil, at, m.ID), nil),
		p.addCount(m.Recipient, -1))
}

// AddMessages implements push.MessageStore.
func (s *Store) AddMessages(msgs []push.Message, max int) ([]error, error) {
	errs := make([]error, len(msgs))
	err := s.pushUpdate("add push messages", func(p pushTx) error {
		clear(errs)
		for i := range msgs {
			m := &msgs[i]
			if m.Status == push.Pending && max > 0 && p.count(m.Recipient) >= uint64(max) {
				errs[i] = fmt.Errorf("recipient %s has %d pending messages, the limit: %w", m.Recipient, max, push.ErrTooManyPending)
				continue
			}
			if err := p.insert(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// Message implements push.MessageStore.
func (s *Store) Message(id string) (push.Message, error) {
	m, err := push.Message{}, push.ErrUnknown
	verr := s.pushView("read push message", func(p pushTx) error {
		m, err = p.message([]byte(id))
		return nil
	})
	return m, errors.Join(verr, err)
}

// Pending implements push.MessageStore.
func (s *Store) Pending(recipient string, now time.Time) ([]push.Message, error) {
	var out []push.Message
	err := s.pushView("read pending push messages", func(p pushTx) error {
		prefix := rcptPrefix(recipient)
		c := p.b(bucketPushPending).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			m, err := p.message(k[len(prefix)+8:])
			if err != nil {
				return err
			}
			if m.Deadline().After(now) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Cancel implements push.MessageStore.
func (s *Store) Cancel(id string, at time.Time) (push.Message, error) {
	var m push.Message
	err := s.pushUpdate("cancel push message", func(p pushTx) error {
		var err error
		if m, err = p.message([]byte(id)); err != nil {
			return err
		}
		return p.finish(&m, push.Cancelled, at)
	})
	return m, err
}

// MarkDelivered implements push.MessageStore.
func (s *Store) MarkDelivered(ids []string, at time.Time) (int, error) {
	marked := 0
	err := s.pushUpdate("mark push messages delivered", func(p pushTx) error {
		marked = 0
		for _, id := range ids {
			m, err := p.message([]byte(id))
			if errors.Is(err, push.ErrUnknown) {
				continue // forgotten meanwhile
			}
			if err != nil {
				return err
			}
			switch err := p.finish(&m, push.Delivered, at); {
			case err == nil:
				marked++
			case !errors.Is(err, push.ErrConflict):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return marked, nil
}

// PendingCount implements push.MessageStore: the sum of the per-recipient
// counts the cap keeps, one entry per recipient with PENDING messages.
func (s *Store) PendingCount() (int, error) {
	n := 0
	err := s.pushView("count pending push messages", func(p pushTx) error {
		return p.b(bucketPushCounts).ForEach(func(_, v []byte) error {
			if len(v) == 8 {
				n += int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	return n, err
}

func (p pushTx) global(id []byte) (push.Global, error) {
	var g push.Global
	v := p.b(bucketPushGlobals).Get(id)
	if v == nil {
		return g, push.ErrUnknown
	}
	if err := json.Unmarshal(v, &g); err != nil {
		return g, fmt.Errorf("%w: global message %s: %v", ErrCorrupt, id, err)
	}
	return g, nil
}

// AddGlobal implements push.MessageStore.
func (s *Store) AddGlobal(g push.Global) error {
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode global message %s: %w", g.ID, err)
	}
	return s.pushUpdate("add global push message", func(p pushTx) error {
		err := errors.Join(p.b(bucketPushGlobals).Put([]byte(g.ID), b),
			p.b(bucketPushGlobTime).Put(timeKey(nil, g.CreatedAt, g.ID), nil))
		if err == nil && !g.ExpiresAt.IsZero() {
			err = p.b(bucketPushGlobExp).Put(timeKey(nil, g.ExpiresAt, g.ID), nil)
		}
		return err
	})
}

// Global implements push.MessageStore.
func (s *Store) Global(id string) (push.Global, error) {
	g, err := push.Global{}, push.ErrUnknown
	verr := s.pushView("read global push message", func(p pushTx) error {
		g, err = p.global([]byte(id))
		return nil
	})
	return g, errors.Join(verr, err)
}

// LiveGlobals implements push.MessageStore.
func (s *Store) LiveGlobals(now time.Time) ([]push.Global, error) {
	var out []push.Global
	err := s.pushView("read live global push messages", func(p pushTx) error {
		c := p.b(bucketPushGlobExp).Cursor()
		for k, _ := c.Seek(timeKey(nil, now.Add(1), "")); k != nil; k, _ = c.Next() {
			g, err := p.global(k[8:])
			if err != nil {
				return err
			}
			out = append(out, g)
		}
		return nil
	})
	slicesSortGlobals(out)
	return out, err
}

// ClaimGlobal implements push.MessageStore.
func (s *Store) ClaimGlobal(m push.Message) (bool, error) {
	claimed := false
	err := s.pushUpdate("claim global push message", func(p pushTx) error {
		k := append(rcptPrefix(m.GlobalMessageID), m.Recipient...)
		if p.b(bucketPushGlobClaim).Get(k) != nil {
			return nil
		}
		claimed = true
		return errors.Join(p.insert(&m), p.b(bucketPushGlobClaim).Put(k, []byte(m.ID)))
	})
	return claimed, err
}
