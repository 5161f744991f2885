package files

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// Defaults of Config.
const (
	DefaultMaxBytesPerSocket = 16 << 20
	DefaultMaxBytes          = 1 << 30
	DefaultTTL               = 5 * time.Minute
	DefaultMaxTTL            = 24 * time.Hour
	DefaultSweepInterval     = 10 * time.Second
)

// Info describes a session file; it is what the Files module describes
// one with.
type Info = luaapi.FileInfo

// LinkPrefix is the path public links are served under.
const LinkPrefix = "/files"

// Config configures a Store. A zero field means its default.
type Config struct {
	// Dir holds the files; Open empties it. Required.
	Dir string
	// MaxBytesPerSocket bounds the bytes of one socket's files, session
	// files and unexpired links together.
	MaxBytesPerSocket int64
	// MaxBytes bounds the bytes of all files together.
	MaxBytes int64
	// MaxTTL bounds a link's life.
	MaxTTL time.Duration
	// SweepInterval is how often expired links and the session
	// directories of closed sockets are removed.
	SweepInterval time.Duration
	// Open reports whether a socket is open; the sweeper removes the
	// session directories of the others. Nil means every socket is.
	Open func(socketID string) bool
}

// Store holds the temporary files. Its methods are safe for concurrent
// use. It implements luaapi.Files.
type Store struct {
	cfg Config
	// sessions, links and tmp are the directories of the layout (doc.go).
	sessions, links, tmp string

	mu        sync.Mutex // a leaf: guards the fields below
	total     int64
	perSocket map[string]int64
	// files is the size of every file, by its path, so that a
	// replacement and a removal know what they free.
	files  map[string]int64
	byLink map[string]*link // by token

	stop chan struct{}
	done chan struct{}
}

type link struct {
	token, name, socket, path string
	expires                   time.Time
}

// Open empties cfg.Dir, lays it out and starts the sweeper.
func Open(cfg Config) (*Store, error) {
	switch {
	case cfg.Dir == "":
		return nil, errors.New("files: Config.Dir is required")
	case cfg.MaxBytesPerSocket < 0 || cfg.MaxBytes < 0 || cfg.MaxTTL < 0 || cfg.SweepInterval < 0:
		return nil, fmt.Errorf("files: max bytes per socket %d, max bytes %d, max TTL %s and sweep interval %s must not be negative",
			cfg.MaxBytesPerSocket, cfg.MaxBytes, cfg.MaxTTL, cfg.SweepInterval)
	}
	if cfg.MaxBytesPerSocket == 0 {
		cfg.MaxBytesPerSocket = DefaultMaxBytesPerSocket
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxTTL == 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.Open == nil {
		cfg.Open = func(string) bool { return true }
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	cfg.Dir = dir
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("files: empty %s: %w", dir, err)
	}
	s := &Store{cfg: cfg, sessions: filepath.Join(dir, "sessions"), links: filepath.Join(dir, "links"), tmp: filepath.Join(dir, "tmp"),
		perSocket: map[string]int64{}, files: map[string]int64{}, byLink: map[string]*link{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, d := range []string{s.sessions, s.links, s.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
	}
	go s.sweepLoop()
	return s, nil
}

// MaxBytesPerSocket is the quota of one socket's files.
func (s *Store) MaxBytesPerSocket() int64 { return s.cfg.MaxBytesPerSocket }

// Close stops the sweeper. The files stay until the next Open.
func (s *Store) Close() {
	close(s.stop)
	<-s.done
}

// Put keeps content as the file name of the socket's session directory,
// replacing one of the same name. It implements luaapi.Files.
func (s *Store) Put(socketID, name string, content []byte) (luaapi.FileInfo, error) {
	path, err := inside(s.sessions, socketID, name)
	if err != nil {
		return luaapi.FileInfo{}, err
	}
	if err := s.write(socketID, path, content); err != nil {
		return luaapi.FileInfo{}, err
	}
	return luaapi.FileInfo{Name: name, Size: int64(len(content)), ModifiedAt: time.Now()}, nil
}

// PutLink keeps content as name behind a new public link, which expires
// after ttl (zero: DefaultTTL). It implements luaapi.Files.
func (s *Store) PutLink(socketID, name string, content []byte, ttl time.Duration) (luaapi.FileLink, error) {
	switch {
	case ttl == 0:
		ttl = DefaultTTL
	case ttl < 0 || ttl > s.cfg.MaxTTL:
		return luaapi.FileLink{}, fmt.Errorf("%w: ttl %s: more than 0 and at most %s", luaapi.ErrBadArgument, ttl, s.cfg.MaxTTL)
	}
	if err := CheckName(socketID); err != nil {
		return luaapi.FileLink{}, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	path, err := inside(s.links, token, name)
	if err != nil {
		return luaapi.FileLink{}, err
	}
	if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
		return luaapi.FileLink{}, fmt.Errorf("place file %s: %w", name, err)
	}
	l := &link{token: token, name: name, socket: socketID, path: path, expires: time.Now().Add(ttl)}
	if err := s.write(socketID, path, content); err != nil {
		_ = os.Remove(filepath.Dir(path))
		return luaapi.FileLink{}, err
	}
	s.mu.Lock()
	s.byLink[token] = l
	s.mu.Unlock()
	return luaapi.FileLink{URL: LinkPrefix + "/" + token + "/" + name, ExpiresAt: l.expires}, nil
}

// write reserves len(content) bytes of the socket's and the total quota,
// less what a file it replaces frees, writes the file whole and renames it
// into place.
func (s *Store) write(socketID, path string, content []byte) error {
	n := int64(len(content))
	s.mu.Lock()
	old := s.files[path]
	if mine, all := s.perSocket[socketID]-old+n, s.total-old+n; mine > s.cfg.MaxBytesPerSocket || all > s.cfg.MaxBytes {
		s.mu.Unlock()
		if mine > s.cfg.MaxBytesPerSocket {
			return fmt.Errorf("%w: the socket's files would take %d bytes, the limit is %d", ErrQuota, mine, s.cfg.MaxBytesPerSocket)
		}
		return fmt.Errorf("%w: all files would take %d bytes, the limit is %d", ErrQuota, all, s.cfg.MaxBytes)
	}
	// Reserved at the new size while it is written; a failure gives the
	// difference back.
	s.account(socketID, path, n)
	s.mu.Unlock()
	err := s.writeFile(path, content)
	if err != nil {
		s.mu.Lock()
		s.account(socketID, path, old)
		if old == 0 {
			delete(s.files, path)
		}
		s.mu.Unlock()
	}
	return err
}

// account makes the file at path count n bytes. s.mu must be held.
func (s *Store) account(socketID, path string, n int64) {
	d := n - s.files[path]
	s.files[path] = n
	s.perSocket[socketID] += d
	s.total += d
}

func (s *Store) writeFile(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write file: %w", err)
	}
	f, err := os.CreateTemp(s.tmp, "put-")
	if err != nil {
		return fmt.Errorf("write file: %w", err)
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write file %s: %w", filepath.Base(path), err)
	}
	return nil
}

// List describes the files of the socket's session directory, by name. It
// implements luaapi.Files.
func (s *Store) List(socketID string) ([]luaapi.FileInfo, error) {
	dir, err := inside(s.sessions, socketID)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []luaapi.FileInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	out := make([]luaapi.FileInfo, 0, len(entries))
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			out = append(out, luaapi.FileInfo{Name: e.Name(), Size: info.Size(), ModifiedAt: info.ModTime()})
		}
	}
	slices.SortFunc(out, func(a, b luaapi.FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get returns the content of the socket's session file name. It
// implements luaapi.Files.
func (s *Store) Get(socketID, name string) ([]byte, error) {
	path, err := inside(s.sessions, socketID, name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("read file %s: %w", name, err)
	}
	return b, nil
}

// Delete removes the socket's session file name. It implements
// luaapi.Files.
func (s *Store) Delete(socketID, name string) error {
	path, err := inside(s.sessions, socketID, name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	} else if err != nil {
		return fmt.Errorf("delete file %s: %w", name, err)
	}
	s.mu.Lock()
	s.account(socketID, path, 0)
	delete(s.files, path)
	s.mu.Unlock()
	return nil
}

// RemoveSession removes the socket's session directory, after its close
// event. Its links stay until they expire. A socket that never wrote a
// file costs no system call: most close without one.
func (s *Store) RemoveSession(socketID string) {
	s.mu.Lock()
	_, wrote := s.perSocket[socketID]
	s.mu.Unlock()
	if wrote {
		s.removeSession(socketID)
	}
}

// removeSession removes the socket's session directory, whatever the
// store counts of it: the sweep's way to remove a directory a write left
// after RemoveSession.
func (s *Store) removeSession(socketID string) {
	dir, err := inside(s.sessions, socketID)
	if err != nil {
		return
	}
	_ = os.RemoveAll(dir)
	prefix := dir + string(os.PathSeparator)
	s.mu.Lock()
	defer s.mu.Unlock()
	for path := range s.files {
		if strings.HasPrefix(path, prefix) {
			s.total -= s.files[path]
			delete(s.files, path)
		}
	}
	delete(s.perSocket, socketID)
}

// OpenLink opens the linked file name of token for reading, unless the
// link expired: it is removed then.
func (s *Store) OpenLink(token, name string) (*os.File, error) {
	s.mu.Lock()
	l, ok := s.byLink[token]
	s.mu.Unlock()
	switch {
	case !ok || l.name != name:
		return nil, ErrNotFound
	case !time.Now().Before(l.expires):
		s.expire(l)
		return nil, ErrNotFound
	}
	f, err := os.Open(l.path)
	if err != nil {
		return nil, ErrNotFound
	}
	return f, nil
}

// expire removes the link l.
func (s *Store) expire(l *link) {
	s.mu.Lock()
	if s.byLink[l.token] != l {
		s.mu.Unlock()
		return
	}
	delete(s.byLink, l.token)
	n := s.files[l.path]
	delete(s.files, l.path)
	s.total -= n
	if _, open := s.perSocket[l.socket]; open {
		s.perSocket[l.socket] -= n
	}
	s.mu.Unlock()
	_ = os.RemoveAll(filepath.Dir(l.path))
}

func (s *Store) sweepLoop() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep removes expired links and the session directories of sockets that
// are no longer open.
func (s *Store) sweep() {
	now := time.Now()
	var expired []*link
	s.mu.Lock()
	for _, l := range s.byLink {
		if !now.Before(l.expires) {
			expired = append(expired, l)
		}
	}
	s.mu.Unlock()
	for _, l := range expired {
		s.expire(l)
	}
	entries, _ := os.ReadDir(s.sessions)
	for _, e := range entries {
		if !s.cfg.Open(e.Name()) {
			s.removeSession(e.Name())
		}
	}
}
