package files_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/files"
)

func open(t testing.TB, cfg files.Config) *files.Store {
	t.Helper()
	cfg.Dir = filepath.Join(t.TempDir(), "files")
	s, err := files.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestBadNamesAreRefused(t *testing.T) {
	t.Parallel()
	s := open(t, files.Config{})
	for _, name := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a\x00b", "a\x01b", "a\x7fb", "\xff", strings.Repeat("n", 256)} {
		if _, err := s.Put("sock", name, []byte("x")); !errors.Is(err, files.ErrBadName) {
			t.Errorf("Put %q: %v, want ErrBadName", name, err)
		}
		if _, err := s.PutLink("sock", name, []byte("x"), 0); !errors.Is(err, files.ErrBadName) {
			t.Errorf("PutLink %q: %v, want ErrBadName", name, err)
		}
	}
	if _, err := s.Put("../other", "f", []byte("x")); !errors.Is(err, files.ErrBadName) {
		t.Errorf("a socket id with ..: %v", err)
	}
	if _, err := s.Put("sock", strings.Repeat("n", 255), []byte("x")); err != nil {
		t.Errorf("a name of 255 bytes: %v", err)
	}
}

func TestQuotasCountEveryFileOfASocketAndAll(t *testing.T) {
	t.Parallel()
	s := open(t, files.Config{MaxBytesPerSocket: 10, MaxBytes: 15})
	if _, err := s.Put("a", "one", make([]byte, 6)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutLink("a", "two", make([]byte, 5), time.Minute); !errors.Is(err, files.ErrQuota) {
		t.Fatalf("11 bytes for a: %v, want ErrQuota", err)
	}
	if _, err := s.Put("a", "one", make([]byte, 10)); err != nil {
		t.Fatalf("a replacement frees what it replaces: %v", err)
	}
	if _, err := s.Put("b", "one", make([]byte, 6)); !errors.Is(err, files.ErrQuota) {
		t.Fatalf("16 bytes in all: %v, want ErrQuota", err)
	}
	if err := s.Delete("a", "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("b", "one", make([]byte, 10)); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	s.RemoveSession("b")
	if _, err := s.Put("c", "one", make([]byte, 10)); err != nil {
		t.Fatalf("after a removed session: %v", err)
	}
}

func TestLinksExpireAndAreSwept(t *testing.T) {
	t.Parallel()
	s := open(t, files.Config{SweepInterval: 20 * time.Millisecond, MaxBytes: 4})
	l, err := s.PutLink("a", "r.txt", []byte("data"), 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.Split(l.URL, "/")[2]
	f, err := s.OpenLink(token, "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "data" {
		t.Fatalf("read %q", b)
	}
	if _, err := s.OpenLink(token, "other.txt"); !errors.Is(err, files.ErrNotFound) {
		t.Fatalf("another name under the token: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The sweeper frees the quota without anyone asking for the link.
		if _, err := s.PutLink("b", "x", []byte("1234"), time.Minute); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired link still holds its bytes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.OpenLink(token, "r.txt"); !errors.Is(err, files.ErrNotFound) {
		t.Fatalf("expired link: %v", err)
	}
}

func TestSweepRemovesSessionsOfClosedSockets(t *testing.T) {
	t.Parallel()
	var closed sync.Map
	dir := filepath.Join(t.TempDir(), "files")
	s, err := files.Open(files.Config{Dir: dir, SweepInterval: 10 * time.Millisecond,
		Open: func(id string) bool { _, gone := closed.Load(id); return !gone }})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := s.Put(id, "f", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	// A directory the store does not count, as a write still running
	// when its socket's session was removed leaves: the sweep removes it
	// all the same.
	if err := os.MkdirAll(filepath.Join(dir, "sessions", "c"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sessions", "c", "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed.Store("c", true)
	closed.Store("a", true)
	session := func(id string) bool {
		_, err := os.Stat(filepath.Join(dir, "sessions", id))
		return err == nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for session("a") || session("c") {
		if time.Now().After(deadline) {
			t.Fatal("the closed socket's session directory was not swept")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !session("b") {
		t.Fatal("an open socket's session directory was swept")
	}
	s.Close()
	s2, err := files.Open(files.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if session("b") {
		t.Fatal("a restart keeps the last run's files")
	}
}
