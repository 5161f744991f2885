package storage

import (
	"bytes"
	"encoding/binary"
	"errors"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/luagate/luagate/keystore"
)

// The Keystore buckets, created by the first write.
var (
	bucketKeystore       = []byte("keystore")
	bucketKeystoreExpiry = []byte("keystoreexpiry")
	bucketKeystoreUsage  = []byte("keystoreusage")

	keyUsageKeys  = []byte("keys")
	keyUsageBytes = []byte("bytes")

	keystoreBuckets = [][]byte{bucketKeystore, bucketKeystoreExpiry, bucketKeystoreUsage}
)

// KeystoreGet implements keystore.Store.
func (s *Store) KeystoreGet(key string) ([]byte, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketKeystore); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				out = bytes.Clone(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.opError("keystore get", err)
	}
	return out, nil
}

// KeystoreUpdate implements keystore.Store: fn runs once, inside the
// transaction that writes its answer.
func (s *Store) KeystoreUpdate(key string, fn keystore.UpdateFunc) error {
	if s.closed.Load() {
		return ErrClosed
	}
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk, err := keystoreBucketsOf(tx)
		if err != nil {
			return err
		}
		k := []byte(key)
		var stored []byte
		if v := bk.entries.Get(k); v != nil {
			stored = bytes.Clone(v)
		}
		next, write, err := fn(stored, bk.usage())
		if err != nil {
			fnErr = err
			return err
		}
		if !write {
			return nil
		}
		return bk.put(k, stored, next)
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return s.opError("keystore update", err)
	}
	return nil
}

// KeystoreScan implements keystore.Store.
func (s *Store) KeystoreScan(after string, fn func(key string, expiresAt int64) bool) error {
	if s.closed.Load() {
		return ErrClosed
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeystore)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if !fn(string(k), keystore.ExpiresAt(v)) {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return s.opError("keystore scan", err)
	}
	return nil
}

// KeystoreUsage implements keystore.Store.
func (s *Store) KeystoreUsage() (keystore.Usage, error) {
	if s.closed.Load() {
		return keystore.Usage{}, ErrClosed
	}
	var u keystore.Usage
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketKeystoreUsage); b != nil {
			u = usageOf(b)
		}
		return nil
	})
	if err != nil {
		return u, s.opError("keystore usage", err)
	}
	return u, nil
}

// KeystoreClear implements keystore.Store.
func (s *Store) KeystoreClear() error {
	if s.closed.Load() {
		return ErrClosed
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range keystoreBuckets {
			if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.opError("keystore clear", err)
	}
	return nil
}

// KeystoreExpire implements keystore.Store, walking the expiry index from
// its oldest time.
func (s *Store) KeystoreExpire(now int64, max int) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketKeystoreExpiry) == nil {
			return nil
		}
		bk, err := keystoreBucketsOf(tx)
		if err != nil {
			return err
		}
		var due [][]byte
		c := bk.expiry.Cursor()
		for k, _ := c.First(); k != nil && len(due) < max; k, _ = c.Next() {
			if len(k) < 8 || int64(binary.BigEndian.Uint64(k)) > now {
				break
			}
			due = append(due, bytes.Clone(k))
		}
		for _, ik := range due {
			// The index entry goes first, so that one whose key is gone
			// cannot come back on every sweep.
			if err := bk.expiry.Delete(ik); err != nil {
				return err
			}
			key := ik[8:]
			if stored := bk.entries.Get(key); stored != nil {
				if err := bk.put(key, bytes.Clone(stored), nil); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, s.opError("keystore expire", err)
	}
	return n, nil
}

// keystoreTx is the Keystore's buckets in one writable transaction.
type keystoreTx struct {
	entries, expiry, counts *bolt.Bucket
}

func keystoreBucketsOf(tx *bolt.Tx) (*keystoreTx, error) {
	var bs [3]*bolt.Bucket
	for i, name := range keystoreBuckets {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return nil, err
		}
		bs[i] = b
	}
	return &keystoreTx{entries: bs[0], expiry: bs[1], counts: bs[2]}, nil
}

func (bk *keystoreTx) usage() keystore.Usage { return usageOf(bk.counts) }

func usageOf(b *bolt.Bucket) keystore.Usage {
	read := func(k []byte) int64 {
		if v := b.Get(k); len(v) == 8 {
			return int64(binary.BigEndian.Uint64(v))
		}
		return 0
	}
	return keystore.Usage{Keys: read(keyUsageKeys), Bytes: read(keyUsageBytes)}
}

// put replaces key's entry stored (nil: none) with next (nil: delete),
// keeping the expiry index and the usage totals in step.
func (bk *keystoreTx) put(key, stored, next []byte) error {
	u := bk.usage()
	if stored != nil {
		if at := keystore.ExpiresAt(stored); at != 0 {
			if err := bk.expiry.Delete(expiryKey(at, key)); err != nil {
				return err
			}
		}
		u.Keys--
		u.Bytes -= keystore.Size(string(key), stored)
	}
	if next == nil {
		if stored != nil {
			if err := bk.entries.Delete(key); err != nil {
				return err
			}
		}
	} else {
		if err := bk.entries.Put(key, next); err != nil {
			return err
		}
		if at := keystore.ExpiresAt(next); at != 0 {
			if err := bk.expiry.Put(expiryKey(at, key), nil); err != nil {
				return err
			}
		}
		u.Keys++
		u.Bytes += keystore.Size(string(key), next)
	}
	for k, v := range map[string]int64{string(keyUsageKeys): u.Keys, string(keyUsageBytes): u.Bytes} {
		if err := bk.counts.Put([]byte(k), binary.BigEndian.AppendUint64(nil, uint64(v))); err != nil {
			return err
		}
	}
	return nil
}

// expiryKey is an expiry index key: the time, 8 bytes big-endian, so that
// byte order is time order, then the key.
func expiryKey(at int64, key []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at)), key...)
}
