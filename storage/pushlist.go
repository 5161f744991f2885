package storage

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/push"
)

// Messages implements push.MessageStore: with a recipient it walks that
// recipient's index, else the index of every message, newest first.
func (s *Store) Messages(q push.Query) (push.Page, error) {
	var page push.Page
	var prefix []byte
	bucket := bucketPushByTime
	if q.Filter.Recipient != "" {
		prefix, bucket = rcptPrefix(q.Filter.Recipient), bucketPushByRcpt
	}
	err := s.pushView("list push messages", func(p pushTx) error {
		var err error
		page.NextToken, err = walkBack(p.b(bucket), prefix, q, func(id []byte, peek bool) (bool, error) {
			m, err := p.message(id)
			if err != nil || !q.Filter.Match(&m) {
				return false, err
			}
			if !peek {
				page.Messages = append(page.Messages, m)
			}
			return true, nil
		})
		return err
	})
	return page, err
}

// Globals implements push.MessageStore.
func (s *Store) Globals(q push.Query) (push.GlobalPage, error) {
	var page push.GlobalPage
	err := s.pushView("list global push messages", func(p pushTx) error {
		var err error
		page.NextToken, err = walkBack(p.b(bucketPushGlobTime), nil, q, func(id []byte, peek bool) (bool, error) {
			g, err := p.global(id)
			if err != nil || !q.Filter.MatchGlobal(&g) {
				return false, err
			}
			if !peek {
				page.Globals = append(page.Globals, g)
			}
			return true, nil
		})
		return err
	})
	return page, err
}

// walkBack walks the timeKey index b under prefix from the newest key (or
// from the one before q.NextToken) to the oldest, calling take with each
// id until it has taken q.Limit, and returns the next page's token: the
// last key taken, base64, when another match follows. take reports
// whether id matches, and keeps it unless peek, which asks only whether
// a next page has anything. Keys created before q.Filter.Created.From end
// the walk.
func walkBack(b *bolt.Bucket, prefix []byte, q push.Query, take func(id []byte, peek bool) (bool, error)) (string, error) {
	limit := q.Limit
	if limit <= 0 || limit > push.MaxPage {
		limit = push.MaxPage
	}
	start := append(bytes.Clone(prefix), 0xff)
	if !q.Filter.Created.To.IsZero() {
		start = timeKey(prefix, q.Filter.Created.To.Add(1), "")
	}
	if q.NextToken != "" {
		k, err := base64.RawURLEncoding.DecodeString(q.NextToken)
		if err != nil || !bytes.HasPrefix(k, prefix) || len(k) < len(prefix)+8 {
			return "", fmt.Errorf("next_token is not one this listing gave: %w", push.ErrBadRequest)
		}
		start = k
	}
	c := b.Cursor()
	k, _ := c.Seek(start)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	taken, last := 0, []byte(nil)
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		if from := q.Filter.Created.From; !from.IsZero() && keyTime(k, len(prefix)).Before(from) {
			break
		}
		ok, err := take(k[len(prefix)+8:], taken == limit)
		switch {
		case err != nil:
			return "", err
		case ok && taken == limit:
			return base64.RawURLEncoding.EncodeToString(last), nil
		case ok:
			taken++
			last = bytes.Clone(k)
		}
	}
	return "", nil
}

// Sweep implements push.MessageStore. It looks first in a read
// transaction, so that a sweep with nothing to do commits nothing.
func (s *Store) Sweep(now, forgetBefore time.Time, batch int) (expired, forgotten int, err error) {
	due := false
	err = s.pushView("look for due push messages", func(p pushTx) error {
		first := func(name []byte) []byte {
			k, _ := p.b(name).Cursor().First()
			return k
		}
		k, f, g := first(bucketPushExpiry), first(bucketPushFinished), first(bucketPushGlobTime)
		due = k != nil && !keyTime(k, 0).After(now) || f != nil && keyTime(f, 0).Before(forgetBefore) ||
			g != nil && keyTime(g, 0).Before(forgetBefore)
		return nil
	})
	if err != nil || !due {
		return 0, 0, err
	}
	err = s.pushUpdate("sweep push messages", func(p pushTx) error {
		expired, forgotten = 0, 0
		c := p.b(bucketPushExpiry).Cursor()
		var due [][]byte
		for k, _ := c.First(); k != nil && !keyTime(k, 0).After(now) && len(due) < batch; k, _ = c.Next() {
			due = append(due, bytes.Clone(k[8:]))
		}
		for _, id := range due {
			m, err := p.message(id)
			if err != nil {
				return err
			}
			if err := p.finish(&m, push.Expired, now); err != nil {
				return err
			}
			expired++
		}
		var old [][]byte
		c = p.b(bucketPushFinished).Cursor()
		for k, _ := c.First(); k != nil && keyTime(k, 0).Before(forgetBefore) && len(old) < batch; k, _ = c.Next() {
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			if err := p.forget(k); err != nil {
				return err
			}
			forgotten++
		}
		n, err := p.forgetGlobals(forgetBefore, batch)
		forgotten += n
		return err
	})
	return expired, forgotten, err
}

// forget deletes the finished message of its key in the finished index.
func (p pushTx) forget(finishedKey []byte) error {
	id := finishedKey[8:]
	m, err := p.message(id)
	if errors.Is(err, push.ErrUnknown) {
		return p.b(bucketPushFinished).Delete(finishedKey)
	}
	if err != nil {
		return err
	}
	return errors.Join(p.b(bucketPushFinished).Delete(finishedKey),
		p.b(bucketPushMessages).Delete(id),
		p.b(bucketPushByRcpt).Delete(timeKey(rcptPrefix(m.Recipient), m.CreatedAt, m.ID)),
		p.b(bucketPushByTime).Delete(timeKey(nil, m.CreatedAt, m.ID)))
}

// forgetGlobals deletes global messages created, and expired, before
// forgetBefore, with their claims.
func (p pushTx) forgetGlobals(forgetBefore time.Time, batch int) (int, error) {
	var old []push.Global
	c := p.b(bucketPushGlobTime).Cursor()
	for k, _ := c.First(); k != nil && keyTime(k, 0).Before(forgetBefore) && len(old) < batch; k, _ = c.Next() {
		g, err := p.global(k[8:])
		if err != nil {
			return 0, err
		}
		if g.ExpiresAt.Before(forgetBefore) {
			old = append(old, g)
		}
	}
	for _, g := range old {
		err := errors.Join(p.b(bucketPushGlobals).Delete([]byte(g.ID)),
			p.b(bucketPushGlobTime).Delete(timeKey(nil, g.CreatedAt, g.ID)))
		if err == nil && !g.ExpiresAt.IsZero() {
			err = p.b(bucketPushGlobExp).Delete(timeKey(nil, g.ExpiresAt, g.ID))
		}
		if err != nil {
			return 0, err
		}
		prefix := rcptPrefix(g.ID)
		var claims [][]byte
		cc := p.b(bucketPushGlobClaim).Cursor()
		for k, _ := cc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cc.Next() {
			claims = append(claims, bytes.Clone(k))
		}
		for _, k := range claims {
			if err := p.b(bucketPushGlobClaim).Delete(k); err != nil {
				return 0, err
			}
		}
	}
	return len(old), nil
}

// slicesSortGlobals orders global messages oldest first.
func slicesSortGlobals(gs []push.Global) {
	slices.SortFunc(gs, func(a, b push.Global) int { return a.CreatedAt.Compare(b.CreatedAt) })
}
