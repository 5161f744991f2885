package storage

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/auth"
)

// The push token buckets, created by the first token stored.
var (
	bucketPushTokens     = []byte("pushtokens")
	bucketPushTokensRcpt = []byte("pushtokensbyrecipient")
)

// PutToken stores a new push token. It implements push.TokenStore.
func (s *Store) PutToken(t auth.PushToken) error {
	return s.updateTokens("put push token", func(tx *bolt.Tx) error { return putToken(tx, t) })
}

// updateTokens runs fn in a write transaction of the token buckets.
func (s *Store) updateTokens(what string, fn func(tx *bolt.Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.db.Update(fn); err != nil {
		return s.opError(what, err)
	}
	return nil
}

func putToken(tx *bolt.Tx, t auth.PushToken) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode push token: %w", err)
	}
	tokens, err := tx.CreateBucketIfNotExists(bucketPushTokens)
	if err != nil {
		return err
	}
	byRcpt, err := tx.CreateBucketIfNotExists(bucketPushTokensRcpt)
	if err != nil {
		return err
	}
	if err := tokens.Put(t.Hash, b); err != nil {
		return err
	}
	return byRcpt.Put(append(rcptPrefix(t.Recipient), t.Hash...), nil)
}

// ReplaceTokens makes recipient's tokens exactly kept, in one
// transaction: a token in kept is never missing meanwhile, as it would be
// between a DeleteTokens and the PutTokens after it.
func (s *Store) ReplaceTokens(recipient string, kept []auth.PushToken) error {
	return s.updateTokens("replace push tokens", func(tx *bolt.Tx) error {
		if _, err := deleteTokens(tx, recipient); err != nil {
			return err
		}
		for _, t := range kept {
			if err := putToken(tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// TokenByHash implements auth.TokenStore.
func (s *Store) TokenByHash(hash []byte) (auth.PushToken, error) {
	if s.closed.Load() {
		return auth.PushToken{}, ErrClosed
	}
	var t auth.PushToken
	err := s.db.View(func(tx *bolt.Tx) error {
		tokens := tx.Bucket(bucketPushTokens)
		if tokens == nil {
			return auth.ErrUnknownToken
		}
		v := tokens.Get(hash)
		if v == nil {
			return auth.ErrUnknownToken
		}
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("%w: push token: %v", ErrCorrupt, err)
		}
		return nil
	})
	if err != nil {
		return auth.PushToken{}, s.opError("look up push token", err)
	}
	return t, nil
}

// DeleteTokens deletes every token of recipient. It implements
// push.TokenStore.
func (s *Store) DeleteTokens(recipient string) (int, error) {
	n := 0
	err := s.updateTokens("delete push tokens", func(tx *bolt.Tx) (err error) {
		n, err = deleteTokens(tx, recipient)
		return err
	})
	return n, err
}

func deleteTokens(tx *bolt.Tx, recipient string) (int, error) {
	tokens, byRcpt := tx.Bucket(bucketPushTokens), tx.Bucket(bucketPushTokensRcpt)
	if tokens == nil || byRcpt == nil {
		return 0, nil
	}
	prefix := rcptPrefix(recipient)
	var keys [][]byte
	c := byRcpt.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := tokens.Delete(k[len(prefix):]); err != nil {
			return 0, err
		}
		if err := byRcpt.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// Tokens returns every stored push token: what a node that joins a
// cluster shares of those it made alone.
func (s *Store) Tokens() ([]auth.PushToken, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var out []auth.PushToken
	err := s.db.View(func(tx *bolt.Tx) error {
		tokens := tx.Bucket(bucketPushTokens)
		if tokens == nil {
			return nil
		}
		return tokens.ForEach(func(_, v []byte) error {
			var t auth.PushToken
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("%w: push token: %v", ErrCorrupt, err)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, s.opError("list push tokens", err)
	}
	return out, nil
}
