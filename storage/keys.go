package storage

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/auth"
)

// The API key buckets, created by the first key stored.
var (
	bucketKeys      = []byte("keys")
	bucketKeyHashes = []byte("keyhashes")
)

// PutKey stores k, a new key. It implements auth.KeyStore.
func (s *Store) PutKey(k auth.Key) error {
	if s.closed.Load() {
		return ErrClosed
	}
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode key %s: %w", k.ID, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		keys, err := tx.CreateBucketIfNotExists(bucketKeys)
		if err != nil {
			return err
		}
		hashes, err := tx.CreateBucketIfNotExists(bucketKeyHashes)
		if err != nil {
			return err
		}
		if keys.Get([]byte(k.ID)) != nil || hashes.Get(k.Hash) != nil {
			return fmt.Errorf("key %s exists already", k.ID)
		}
		if err := keys.Put([]byte(k.ID), b); err != nil {
			return err
		}
		return hashes.Put(k.Hash, []byte(k.ID))
	})
	if err != nil {
		return s.opError("put key", err)
	}
	return nil
}

// KeyByHash returns the key whose secret hashes to hash, or
// auth.ErrUnknownKey. It implements auth.KeyStore.
func (s *Store) KeyByHash(hash []byte) (auth.Key, error) {
	if s.closed.Load() {
		return auth.Key{}, ErrClosed
	}
	var k auth.Key
	err := s.db.View(func(tx *bolt.Tx) error {
		hashes, keys := tx.Bucket(bucketKeyHashes), tx.Bucket(bucketKeys)
		if hashes == nil || keys == nil {
			return auth.ErrUnknownKey
		}
		id := hashes.Get(hash)
		if id == nil {
			return auth.ErrUnknownKey
		}
		return decodeKey(keys, id, &k)
	})
	if err != nil {
		return auth.Key{}, s.opError("look up key", err)
	}
	return k, nil
}

// KeyByID returns the key id, or auth.ErrUnknownKey.
func (s *Store) KeyByID(id string) (auth.Key, error) {
	if s.closed.Load() {
		return auth.Key{}, ErrClosed
	}
	var k auth.Key
	err := s.db.View(func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		if keys == nil {
			return auth.ErrUnknownKey
		}
		return decodeKey(keys, []byte(id), &k)
	})
	if err != nil {
		return auth.Key{}, s.opError("look up key", err)
	}
	return k, nil
}

// Keys returns every key, oldest first. It implements auth.KeyStore.
func (s *Store) Keys() ([]auth.Key, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var out []auth.Key
	err := s.db.View(func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		if keys == nil {
			return nil
		}
		return keys.ForEach(func(id, _ []byte) error {
			var k auth.Key
			if err := decodeKey(keys, id, &k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	if err != nil {
		return nil, s.opError("list keys", err)
	}
	slices.SortFunc(out, func(a, b auth.Key) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// DeleteKey removes the key id and returns it, or auth.ErrUnknownKey. It
// implements auth.KeyStore.
func (s *Store) DeleteKey(id string) (auth.Key, error) {
	if s.closed.Load() {
		return auth.Key{}, ErrClosed
	}
	var k auth.Key
	err := s.db.Update(func(tx *bolt.Tx) error {
		keys, hashes := tx.Bucket(bucketKeys), tx.Bucket(bucketKeyHashes)
		if keys == nil || hashes == nil {
			return auth.ErrUnknownKey
		}
		if err := decodeKey(keys, []byte(id), &k); err != nil {
			return err
		}
		if err := hashes.Delete(k.Hash); err != nil {
			return err
		}
		return keys.Delete([]byte(id))
	})
	if err != nil {
		return auth.Key{}, s.opError("delete key", err)
	}
	return k, nil
}

// decodeKey reads the key id of keys into k; json.Unmarshal copies what it
// keeps out of the transaction's bytes.
func decodeKey(keys *bolt.Bucket, id []byte, k *auth.Key) error {
	v := keys.Get(id)
	if v == nil {
		return auth.ErrUnknownKey
	}
	if err := json.Unmarshal(v, k); err != nil {
		return fmt.Errorf("%w: keys/%s: %w", ErrCorrupt, id, err)
	}
	return nil
}
