package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/luagate/luagate/scripts"
)

var (
	bucketEndpoints     = []byte("endpoints")
	bucketModules       = []byte("modules")
	bucketEventHandlers = []byte("eventhandlers")
	bucketMeta          = []byte("meta")
	keyRevision         = []byte("revision")
	keySchema           = []byte("schema")
)

const schemaVersion = "1"

// Store is an open database file.
type Store struct {
	db     *bolt.DB
	path   string
	closed atomic.Bool
}

type storedEndpoint struct {
	Script    string    `json:"script"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Open opens or creates the database at path, waiting at most timeout for
// another process to release it.
func Open(path string, timeout time.Duration) (s *Store, err error) {
	// bbolt panics on some corrupt pages; a bad file is an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("open %s: %w: %v", path, ErrCorrupt, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w (waited %s)", path, ErrLocked, timeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("open %s: %w: %v", path, ErrCorrupt, err)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s = &Store{db: db, path: path}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEndpoints, bucketModules, bucketEventHandlers, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaVersion))
	})
	if err == nil {
		_, _, err = s.Load() // read everything once so corruption shows now
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w: %v", path, ErrCorrupt, err)
	}
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the file.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	return s.db.Close()
}

func (s *Store) check() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Load returns the stored solution and its revision: 0 and an empty
// solution for a new database.
func (s *Store) Load() (sol scripts.Solution, rev uint64, err error) {
	if err := s.check(); err != nil {
		return sol, 0, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		sol, rev, err = read(tx)
		return err
	})
	if err != nil {
		return scripts.Solution{}, 0, fmt.Errorf("load solution from %s: %w", s.path, err)
	}
	return sol, rev, nil
}

// read copies the solution out of tx.
func read(tx *bolt.Tx) (scripts.Solution, uint64, error) {
	var sol scripts.Solution
	sol.Modules = map[string]string{}
	sol.EventHandlers = map[string]string{}
	err := tx.Bucket(bucketEndpoints).ForEach(func(k, v []byte) error {
		var se storedEndpoint
		if err := json.Unmarshal(v, &se); err != nil {
			return fmt.Errorf("endpoint %s: %w", k, err)
		}
		sol.Endpoints = append(sol.Endpoints, scripts.Endpoint{Path: string(k), Script: se.Script, UpdatedAt: se.UpdatedAt})
		return nil
	})
	if err != nil {
		return sol, 0, err
	}
	for _, m := range []struct {
		bucket []byte
		into   map[string]string
	}{{bucketModules, sol.Modules}, {bucketEventHandlers, sol.EventHandlers}} {
		_ = tx.Bucket(m.bucket).ForEach(func(k, v []byte) error {
			m.into[string(k)] = string(v)
			return nil
		})
	}
	var rev uint64
	if v := tx.Bucket(bucketMeta).Get(keyRevision); len(v) == 8 {
		rev = binary.BigEndian.Uint64(v)
	}
	sol.Normalize()
	return sol, rev, nil
}

// Save replaces the whole stored solution in one transaction and returns it
// as stored, with each endpoint's UpdatedAt (kept where the script did not
// change), and the new revision.
func (s *Store) Save(sol scripts.Solution) (scripts.Solution, uint64, error) {
	if err := s.check(); err != nil {
		return sol, 0, err
	}
	sol = sol.Clone()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var rev uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, oldRev, err := read(tx)
		if err != nil {
			return err
		}
		rev = oldRev + 1
		for i, e := range sol.Endpoints {
			sol.Endpoints[i].UpdatedAt = now
			if prev, ok := old.Endpoint(e.Path); ok && prev.Script == e.Script {
				sol.Endpoints[i].UpdatedAt = prev.UpdatedAt
			}
		}
		for _, name := range [][]byte{bucketEndpoints, bucketModules, bucketEventHandlers} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		eb := tx.Bucket(bucketEndpoints)
		for _, e := range sol.Endpoints {
			v, err := json.Marshal(storedEndpoint{Script: e.Script, UpdatedAt: e.UpdatedAt})
			if err != nil {
				return err
			}
			if err := eb.Put([]byte(e.Path), v); err != nil {
				return err
			}
		}
		for _, m := range []struct {
			bucket []byte
			from   map[string]string
		}{{bucketModules, sol.Modules}, {bucketEventHandlers, sol.EventHandlers}} {
			b := tx.Bucket(m.bucket)
			for k, v := range m.from {
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], rev)
		return tx.Bucket(bucketMeta).Put(keyRevision, buf[:])
	})
	if err != nil {
		return scripts.Solution{}, 0, fmt.Errorf("save solution to %s: %w", s.path, err)
	}
	return sol, rev, nil
}
