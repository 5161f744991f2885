package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

	keyRevision = []byte("revision")
	keySchema   = []byte("schema")
	keyConfig   = []byte("config")
	keyWeb      = []byte("webservice")
	// keyEnv and keyEnvSchema hold the solution's environment values and
	// schema as JSON, absent when there are none.
	keyEnv       = []byte("env")
	keyEnvSchema = []byte("env_schema")
	// keyInit holds the init script, absent when there is none.
	keyInit = []byte("init")

	// contentBuckets hold the solution's parts by key: SaveRevision
	// replaces them wholesale, Save writes what changed.
	contentBuckets = [][]byte{bucketEndpoints, bucketModules, bucketEventHandlers}
	allBuckets     = [][]byte{bucketEndpoints, bucketModules, bucketEventHandlers, bucketMeta}
)

// metaValue is a part of a solution kept as one JSON value in the meta
// bucket, absent when empty.
type metaValue struct {
	key   []byte
	value any
	empty bool
}

// metaJSON lists sol's meta values.
func metaJSON(sol *scripts.Solution) []metaValue {
	return []metaValue{
		{keyConfig, &sol.Config, sol.Config.Empty()},
		{keyEnv, &sol.Env, len(sol.Env) == 0},
		{keyEnvSchema, &sol.EnvSchema, sol.EnvSchema == nil},
		{keyWeb, &sol.Webservice, sol.Webservice.Empty()},
	}
}

// schemaVersion is written to meta/schema so a later luagate that changes
// the layout can tell which one it is reading.
const schemaVersion = "1"

// fileMode keeps scripts, which may embed secrets, private to the user
// running the gateway.
const fileMode = 0o600

// Store is an open database file. Its methods are safe for concurrent use:
// bbolt serialises writers and lets readers run alongside them.
type Store struct {
	db     *bolt.DB
	path   string
	closed atomic.Bool

	// saveMu serialises Save and guards saved.
	saveMu sync.Mutex
	// saved is what the last Save committed of the content buckets: the
	// next Save dates endpoints from it rather than decoding every stored
	// endpoint again, which was a third of changing one endpoint of a
	// thousand, and writes only what differs from it. Nil until the first
	// Save has read them. Only Save and SaveRevision write those buckets,
	// so the file cannot change under it.
	saved *savedSolution
}

// storedEndpoint is the value under an endpoint's path. The path itself is
// the key, so it is not repeated here.
type storedEndpoint struct {
	Script      string    `json:"script"`
	UpdatedAt   time.Time `json:"updated_at"`
	ContentType string    `json:"content_type,omitempty"`
}

// Open opens or creates the database file at path. If another process holds
// the file lock it gives up after timeout (zero waits forever) and returns an
// error wrapping ErrLocked. A file that is not a readable luagate database
// gives an error wrapping ErrCorrupt, and is left as it was.
func Open(path string, timeout time.Duration) (*Store, error) {
	// A read-write bolt.Open reads the freelist page before it returns a
	// handle. If that read panics or faults, the mapping bbolt leaves behind
	// keeps a reference to the file and so its flock: the file would look
	// locked until the process exits. A read-only open touches only the two
	// meta pages, so an existing file is checked that way first, through a
	// handle that can always be closed. That catches truncation and damaged
	// data pages; a damaged freelist page still shows up only below, as
	// ErrCorrupt with the lock left held, which is fine for a gateway that
	// stops on ErrCorrupt.
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		if err := checkFile(path, timeout); err != nil {
			return nil, err
		}
	}
	db, err := openBolt(path, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, err
	}
	// Verify again: a new file skipped the check above, and this also covers
	// a file changed between the two opens.
	needsInit, err := verify(db, path)
	if err == nil && needsInit {
		err = initialise(db, path)
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, path: path}, nil
}

// checkFile reads an existing file through a read-only handle.
func checkFile(path string, timeout time.Duration) error {
	db, err := openBolt(path, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = verify(db, path)
	return err
}

// openBolt is bolt.Open with its failures sorted into ErrLocked, ErrCorrupt
// and the rest, and its panics recovered.
func openBolt(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	// bbolt opens the file itself, and a panic inside bolt.Open loses its
	// handle; keep our own so it can be closed. Whether that releases the
	// lock depends on whether bbolt had mapped the file yet (see Open).
	var file *os.File
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer catchCorruption(path, &err, func() {
		if file != nil {
			_ = file.Close()
		}
		db = nil
	})()

	db, err = bolt.Open(path, fileMode, opts)
	var pathErr *fs.PathError
	var errno syscall.Errno
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w (gave up waiting for its lock after %s)", path, ErrLocked, opts.Timeout)
	case errors.As(err, &pathErr), errors.As(err, &errno):
		// Permissions, a missing directory, a full disk: the file is not
		// at fault.
		return nil, fmt.Errorf("open %s: %w", path, err)
	default:
		// bbolt reports a malformed file through several errors, some
		// unexported ("file size too small"); whatever is neither the lock
		// nor the operating system is about the file's contents.
		return nil, fmt.Errorf("open %s: %w: %v", path, ErrCorrupt, err)
	}
}

// catchCorruption makes bbolt's reaction to a damaged file an ErrCorrupt
// instead of a crash, for code run before the file has been read once. bbolt
// panics on some malformed pages, and reading a page that lies past the end
// of a truncated file raises SIGBUS through the mmap, which only
// debug.SetPanicOnFault turns into a recoverable panic. Both settings apply
// to the calling goroutine only. Use it as
//
//	defer catchCorruption(path, &err, cleanup)()
//
// so that it arms on entry and recovers on exit.
func catchCorruption(path string, errp *error, cleanup func()) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		r := recover()
		debug.SetPanicOnFault(old)
		if r == nil {
			return
		}
		cleanup()
		*errp = fmt.Errorf("open %s: %w: %v", path, ErrCorrupt, r)
	}
}

// verify reads the whole solution once, so damage shows at startup rather
// than at the first deploy, and reports whether the file still lacks its
// buckets or schema key. It never writes.
func verify(db *bolt.DB, path string) (needsInit bool, err error) {
	defer catchCorruption(path, &err, func() {})()
	err = db.View(func(tx *bolt.Tx) error {
		if err := checkSize(tx, path); err != nil {
			return err
		}
		var err error
		if needsInit, err = checkSchema(tx); err != nil {
			return err
		}
		_, _, err = read(tx)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	return needsInit, nil
}

// initialise creates what a new file lacks, so Load and Save can rely on the
// buckets being there.
func initialise(db *bolt.DB, path string) error {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaVersion))
	})
	if err != nil {
		return fmt.Errorf("open %s: initialise: %w", path, err)
	}
	return nil
}

// checkSize rejects a file shorter than the pages its header claims. Reading
// those pages would fault; this says what is wrong instead.
func checkSize(tx *bolt.Tx, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Size() < tx.Size() {
		return fmt.Errorf("%w: file is %d bytes but its header says %d (truncated?)", ErrCorrupt, info.Size(), tx.Size())
	}
	return nil
}

// checkSchema reports whether the file still needs its buckets or schema
// key, and refuses a layout this code does not know. An unknown schema is
// not ErrCorrupt: the file is probably fine, only newer than this binary.
func checkSchema(tx *bolt.Tx) (needsInit bool, err error) {
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			needsInit = true
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return true, nil
	}
	v := meta.Get(keySchema)
	switch {
	case v == nil:
		return true, nil
	case string(v) != schemaVersion:
		return false, fmt.Errorf("database schema %q is not %q, the one this luagate reads", v, schemaVersion)
	}
	return needsInit, nil
}

// Close releases the file and its lock. Calls after the first return
// ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Path returns the database file path, for messages that must point a person
// at the file.
func (s *Store) Path() string { return s.path }

// Load returns the stored solution, normalised and with UpdatedAt set on each
// endpoint, and its revision. A new database gives revision 0 and an empty
// solution.
func (s *Store) Load() (scripts.Solution, uint64, error) {
	if s.closed.Load() {
		return scripts.Solution{}, 0, ErrClosed
	}
	var (
		sol scripts.Solution
		rev uint64
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		sol, rev, err = read(tx)
		return err
	})
	if err != nil {
		return scripts.Solution{}, 0, s.opError("load solution", err)
	}
	return sol, rev, nil
}

// Save replaces the whole stored solution with sol in one transaction, bumps
// the revision, and returns the solution as stored and the new revision.
// An endpoint whose script is byte-identical to the stored one keeps its
// UpdatedAt; every other endpoint gets the time of this Save (UTC,
// milliseconds); the UpdatedAt fields of sol are ignored. Two endpoints with
// the same path are refused, since only one of them could be stored.
//
// Save takes sol over rather than copying it (a change of one endpoint of
// a thousand copied a thousand): it sorts and stamps sol's endpoints in
// place, and the solution it returns shares sol's slices and maps. They
// are also the store's record of what it wrote, which the next Save diffs
// against, so the caller must not change them afterwards.
func (s *Store) Save(sol scripts.Solution) (scripts.Solution, uint64, error) {
	if s.closed.Load() {
		return scripts.Solution{}, 0, ErrClosed
	}
	sol, err := s.prepare(sol)
	if err != nil {
		return scripts.Solution{}, 0, err
	}
	now := stampTime()

	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	// Only Save and SaveRevision write the content buckets, both under
	// saveMu, so what they hold is still prev when the transaction runs.
	prev := s.saved
	if prev == nil {
		err := s.db.View(func(tx *bolt.Tx) error {
			old, _, err := read(tx)
			prev = savedOf(old)
			return err
		})
		if err != nil {
			return scripts.Solution{}, 0, s.opError("save solution", err)
		}
	}
	stamp(prev.endpoints, sol.Endpoints, now)
	saved := savedOf(sol)
	writes, err := endpointWrites(prev, saved)
	if err != nil {
		return scripts.Solution{}, 0, s.opError("save solution", err)
	}
	var rev uint64
	err = s.db.Update(func(tx *bolt.Tx) error {
		oldRev, err := revision(tx)
		if err != nil {
			return err
		}
		rev = oldRev + 1
		if err := writeChanges(tx, writes, prev, saved); err != nil {
			return err
		}
		return writeMeta(tx, sol, rev)
	})
	if err != nil {
		return scripts.Solution{}, 0, s.opError("save solution", err)
	}
	s.saved = saved
	return sol, rev, nil
}

// prepare sorts sol in place, its maps made non-nil, and refuses two
// endpoints with one path, since only one of them could be stored.
func (s *Store) prepare(sol scripts.Solution) (scripts.Solution, error) {
	sol.Normalize()
	for i := 1; i < len(sol.Endpoints); i++ {
		if sol.Endpoints[i].Key() == sol.Endpoints[i-1].Key() {
			return scripts.Solution{}, fmt.Errorf("save solution to %s: endpoint %q declared twice", s.path, sol.Endpoints[i].Key())
		}
	}
	return sol, nil
}

// stampTime is an endpoint's UpdatedAt for a change made now:
// milliseconds, because that is what clients display and compare; UTC, so
// the stored JSON does not depend on the server's zone.
func stampTime() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// stamp sets the UpdatedAt of next's endpoints: prev's for a script that
// is unchanged, now for the rest. Both are normalized. An endpoint whose
// time changes is replaced by a copy, as next's endpoints may be shared
// with a running revision (scripts.Solution.Endpoints).
func stamp(prev, next []*scripts.Endpoint, now time.Time) {
	for i, j := range pairs(prev, next) {
		if j < 0 {
			continue
		}
		p, e := at(prev, i), next[j]
		t := now
		if p != nil && p.Script == e.Script {
			t = p.UpdatedAt
		}
		if e.UpdatedAt != t { // exactly t, not an Equal time of another zone: Save returns what it stores
			cp := *e
			cp.UpdatedAt = t
			next[j] = &cp
		}
	}
}

// opError names the operation and file, and reports a bbolt handle closed
// under a running call as ErrClosed, which is what the caller did.
func (s *Store) opError(op string, err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return fmt.Errorf("%s %s: %w", op, s.path, err)
}

// read copies the solution and revision out of tx. Missing buckets read as
// empty, so it also serves Open's first look at a new file. Malformed values
// are ErrCorrupt: this package wrote them, so something else changed them.
func read(tx *bolt.Tx) (scripts.Solution, uint64, error) {
	sol := scripts.Solution{
		Modules:       map[string]string{},
		EventHandlers: map[string]string{},
	}
	if b := tx.Bucket(bucketEndpoints); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return fmt.Errorf("%w: endpoints/%s is a bucket, not a value", ErrCorrupt, k)
			}
			var se storedEndpoint
			if err := json.Unmarshal(v, &se); err != nil {
				return fmt.Errorf("%w: endpoints/%s: %v", ErrCorrupt, k, err)
			}
			// string(k) copies; json.Unmarshal already copied the script.
			// An HTTP endpoint's key is its method, a space and its path.
			method, path, http := strings.Cut(string(k), " ")
			if !http {
				method, path = "", method
			}
			sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{
				Method: method, Path: path, ContentType: se.ContentType, Script: se.Script, UpdatedAt: se.UpdatedAt.UTC(),
			})
			return nil
		})
		if err != nil {
			return scripts.Solution{}, 0, err
		}
	}
	for _, m := range []struct {
		bucket []byte
		into   map[string]string
	}{{bucketModules, sol.Modules}, {bucketEventHandlers, sol.EventHandlers}} {
		b := tx.Bucket(m.bucket)
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return fmt.Errorf("%w: %s/%s is a bucket, not a value", ErrCorrupt, m.bucket, k)
			}
			m.into[string(k)] = string(v) // both conversions copy
			return nil
		})
		if err != nil {
			return scripts.Solution{}, 0, err
		}
	}
	if b := tx.Bucket(bucketMeta); b != nil {
		for _, m := range metaJSON(&sol) {
			if v := b.Get(m.key); v != nil {
				// json.Unmarshal copies what it keeps.
				if err := json.Unmarshal(v, m.value); err != nil {
					return scripts.Solution{}, 0, fmt.Errorf("%w: meta/%s: %v", ErrCorrupt, m.key, err)
				}
			}
		}
		sol.Init = string(b.Get(keyInit)) // copies
	}
	rev, err := revision(tx)
	if err != nil {
		return scripts.Solution{}, 0, err
	}
	sol.Normalize()
	return sol, rev, nil
}

// revision reads the revision out of tx: 0 before the first save.
func revision(tx *bolt.Tx) (uint64, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, nil
	}
	switch v := b.Get(keyRevision); len(v) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(v), nil
	default:
		return 0, fmt.Errorf("%w: meta/revision is %d bytes, not 8", ErrCorrupt, len(v))
	}
}

// write replaces the content buckets with sol and sets the revision;
// writes are sol's endpoints, as endpointWrites encodes them for empty
// buckets. Deleting the buckets, rather than diffing them, is what makes
// "absent from sol" mean "gone" without knowing what the file held, and
// the caller's transaction makes it all or nothing.
func write(tx *bolt.Tx, sol scripts.Solution, writes []endpointWrite, rev uint64) error {
	for _, name := range contentBuckets {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return fmt.Errorf("delete bucket %s: %w", name, err)
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if err := writeChanges(tx, writes, &savedSolution{}, savedOf(sol)); err != nil {
		return err
	}
	return writeMeta(tx, sol, rev)
}

// writeMeta sets the solution's meta values and the revision.
func writeMeta(tx *bolt.Tx, sol scripts.Solution, rev uint64) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}
	for _, m := range metaJSON(&sol) {
		if err := putJSON(meta, m.key, m.value, m.empty); err != nil {
			return err
		}
	}
	if sol.Init == "" {
		err = meta.Delete(keyInit)
	} else {
		err = meta.Put(keyInit, []byte(sol.Init))
	}
	if err != nil {
		return fmt.Errorf("set init: %w", err)
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], rev)
	if err := meta.Put(keyRevision, buf[:]); err != nil {
		return fmt.Errorf("set revision: %w", err)
	}
	return nil
}

// putJSON stores v as JSON under key, or deletes key when empty.
func putJSON(b *bolt.Bucket, key []byte, v any, empty bool) error {
	if empty {
		if err := b.Delete(key); err != nil {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		return nil
	}
	j, err := json.Marshal(v)
	if err == nil {
		err = b.Put(key, j)
	}
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}
