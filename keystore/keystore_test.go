package keystore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/keystore"
	"github.com/luagate/luagate/storage"
)

// clock is a settable time for expiry tests.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// newKeystore opens a keystore in a real bbolt file in a temp dir.
func newKeystore(t *testing.T, cfg keystore.Config) (*keystore.Keystore, *clock, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := storage.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := &clock{}
	c.ms.Store(1_700_000_000_000)
	cfg.Now = c.now
	k, err := keystore.New(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k, c, path
}

type step struct {
	cmd  string
	key  string
	args []string
	want any // a result, or an error sentinel
}

func l(items ...any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

func a(s ...string) []string { return s }

// run runs steps in order, each checked against the result the command's
// documentation gives.
func run(t *testing.T, k *keystore.Keystore, steps []step) {
	t.Helper()
	for i, s := range steps {
		got, err := k.Command(s.key, s.cmd, s.args)
		if want, ok := s.want.(error); ok {
			if !errors.Is(err, want) {
				t.Errorf("step %d: %s %s %q: error %v, want %v", i, s.cmd, s.key, s.args, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("step %d: %s %s %q: %v", i, s.cmd, s.key, s.args, err)
			continue
		}
		want := s.want
		if n, ok := want.(int); ok {
			want = int64(n)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("step %d: %s %s %q = %#v, want %#v", i, s.cmd, s.key, s.args, got, want)
		}
	}
}

func TestStringCommands(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{})
	run(t, k, []step{
		{"get", "s", nil, nil},
		{"set", "s", a("hello"), "OK"},
		{"GET", "s", nil, "hello"},
		{"set", "s", a("x", "NX"), nil},
		{"set", "other", a("x", "XX"), nil},
		{"exists", "other", nil, 0},
		{"set", "s", a("world", "XX", "GET"), "hello"},
		{"setnx", "s", a("no"), 0},
		{"setnx", "n", a("yes"), 1},
		{"getset", "n", a("again"), "yes"},
		{"append", "s", a("!"), 6},
		{"strlen", "s", nil, 6},
		{"strlen", "missing", nil, 0},
		{"getrange", "s", a("0", "2"), "wor"},
		{"getrange", "s", a("-3", "-1"), "ld!"},
		{"getrange", "s", a("10", "20"), ""},
		{"setrange", "s", a("1", "AB"), 6},
		{"get", "s", nil, "wABld!"},
		{"setrange", "pad", a("3", "x"), 4},
		{"get", "pad", nil, "\x00\x00\x00x"},
		{"getdel", "pad", nil, "\x00\x00\x00x"},
		{"exists", "pad", nil, 0},
		{"type", "s", nil, "string"},
		{"type", "missing", nil, "none"},
		{"set", "s", a("v", "EX"), keystore.ErrSyntax},
		{"set", "s", a("v", "NX", "XX"), keystore.ErrSyntax},
		{"set", "s", a("v", "BOGUS"), keystore.ErrSyntax},
		{"set", "s", nil, keystore.ErrArity},
		{"get", "s", a("extra"), keystore.ErrArity},
		{"flushall", "s", nil, keystore.ErrUnknownCommand},
		{"get", "", nil, keystore.ErrBadKey},
		{"get", strings.Repeat("k", keystore.MaxKeyBytes+1), nil, keystore.ErrBadKey},
	})
}

func TestCounterCommands(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{})
	run(t, k, []step{
		{"incr", "c", nil, 1},
		{"incrby", "c", a("10"), 11},
		{"decr", "c", nil, 10},
		{"decrby", "c", a("3"), 7},
		{"get", "c", nil, "7"},
		{"incrby", "c", a("x"), keystore.ErrNotInteger},
		{"incrbyfloat", "f", a("1.5"), "1.5"},
		{"incrbyfloat", "f", a("-0.25"), "1.25"},
		{"incrbyfloat", "f", a("inf"), keystore.ErrNotFloat},
		{"set", "word", a("abc"), "OK"},
		{"incr", "word", nil, keystore.ErrNotInteger},
		{"set", "big", a("9223372036854775807"), "OK"},
		{"incr", "big", nil, keystore.ErrNotInteger},
		{"get", "big", nil, "9223372036854775807"},
		{"decrby", "c", a("-9223372036854775808"), keystore.ErrNotInteger},
		{"sadd", "set", a("m"), 1},
		{"incr", "set", nil, keystore.ErrWrongType},
	})
}

func TestListCommands(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{})
	run(t, k, []step{
		{"lpushx", "l", a("x"), 0},
		{"rpush", "l", a("a", "b", "c"), 3},
		{"lpush", "l", a("y", "z"), 5},
		{"lrange", "l", a("0", "-1"), l("z", "y", "a", "b", "c")},
		{"rpushx", "l", a("d"), 6},
		{"llen", "l", nil, 6},
		{"lindex", "l", a("0"), "z"},
		{"lindex", "l", a("-1"), "d"},
		{"lindex", "l", a("99"), nil},
		{"lset", "l", a("1", "Y"), "OK"},
		{"lset", "l", a("99", "x"), keystore.ErrIndexRange},
		{"lset", "nolist", a("0", "x"), keystore.ErrNoSuchKey},
		{"lpop", "l", nil, "z"},
		{"rpop", "l", nil, "d"},
		{"lrange", "l", a("0", "-1"), l("Y", "a", "b", "c")},
		{"linsert", "l", a("BEFORE", "b", "B"), 5},
		{"linsert", "l", a("AFTER", "c", "C"), 6},
		{"linsert", "l", a("AFTER", "nothere", "x"), -1},
		{"linsert", "l", a("BESIDE", "c", "x"), keystore.ErrSyntax},
		{"lrange", "l", a("1", "3"), l("a", "B", "b")},
		{"rpush", "r", a("x", "y", "x", "z", "x"), 5},
		{"lrem", "r", a("-2", "x"), 2},
		{"lrange", "r", a("0", "-1"), l("x", "y", "z")},
		{"lrem", "r", a("0", "x"), 1},
		{"ltrim", "r", a("1", "-1"), "OK"},
		{"lrange", "r", a("0", "-1"), l("z")},
		{"lpop", "r", a("5"), l("z")},
		{"exists", "r", nil, 0},
		{"lpop", "r", nil, nil},
		{"rpush", "p", a("1", "2", "3"), 3},
		{"rpop", "p", a("2"), l("3", "2")},
		{"set", "str", a("v"), "OK"},
		{"lpush", "str", a("x"), keystore.ErrWrongType},
		{"lrange", "str", a("0", "1"), keystore.ErrWrongType},
	})
}

func TestSetCommands(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{})
	run(t, k, []step{
		{"sadd", "s", a("b", "a", "b"), 2},
		{"sadd", "s", a("c"), 1},
		{"smembers", "s", nil, l("a", "b", "c")},
		{"smembers", "none", nil, l()},
		{"sismember", "s", a("a"), 1},
		{"sismember", "s", a("z"), 0},
		{"scard", "s", nil, 3},
		{"srem", "s", a("a", "z"), 1},
		{"srandmember", "none", nil, nil},
		{"spop", "none", a("2"), l()},
		{"srem", "s", a("b", "c"), 2},
		{"exists", "s", nil, 0},
	})
	if _, err := k.Command("r", "sadd", a("x", "y", "z")); err != nil {
		t.Fatal(err)
	}
	got, err := k.Command("r", "srandmember", a("-5"))
	if err != nil || len(got.([]any)) != 5 {
		t.Fatalf("srandmember -5 = %v, %v: want 5 members", got, err)
	}
	got, _ = k.Command("r", "srandmember", a("10"))
	if len(got.([]any)) != 3 {
		t.Fatalf("srandmember 10 of a set of 3 = %v", got)
	}
	popped, _ := k.Command("r", "spop", nil)
	if m, _ := k.Command("r", "sismember", a(popped.(string))); m != int64(0) {
		t.Fatalf("spop returned %v, which is still a member", popped)
	}
	if n, _ := k.Command("r", "scard", nil); n != int64(2) {
		t.Fatalf("scard after spop = %v, want 2", n)
	}
}

func TestHashCommands(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{})
	run(t, k, []step{
		{"hset", "h", a("f1", "v1", "f2", "v2"), 2},
		{"hset", "h", a("f1", "V1", "f3", "v3"), 1},
		{"hset", "h", a("odd"), keystore.ErrArity},
		{"hget", "h", a("f1"), "V1"},
		{"hget", "h", a("zz"), nil},
		{"hmget", "h", a("f2", "zz", "f3"), l("v2", nil, "v3")},
		{"hgetall", "h", nil, l("f1", "V1", "f2", "v2", "f3", "v3")},
		{"hkeys", "h", nil, l("f1", "f2", "f3")},
		{"hvals", "h", nil, l("V1", "v2", "v3")},
		{"hlen", "h", nil, 3},
		{"hexists", "h", a("f2"), 1},
		{"hexists", "none", a("f2"), 0},
		{"hstrlen", "h", a("f3"), 2},
		{"hsetnx", "h", a("f1", "x"), 0},
		{"hsetnx", "h", a("f4", "x"), 1},
		{"hmset", "h", a("n", "5"), "OK"},
		{"hincrby", "h", a("n", "-7"), -2},
		{"hincrby", "h", a("f1", "1"), keystore.ErrNotInteger},
		{"hincrbyfloat", "h", a("fl", "0.5"), "0.5"},
		{"hdel", "h", a("f1", "f2", "zz"), 2},
		{"hgetall", "none", nil, l()},
		{"sadd", "s", a("m"), 1},
		{"hget", "s", a("m"), keystore.ErrWrongType},
	})
}

func TestExpiryIsHonouredOnRead(t *testing.T) {
	t.Parallel()
	k, c, _ := newKeystore(t, keystore.Config{})
	run(t, k, []step{
		{"ttl", "e", nil, -2},
		{"set", "e", a("v", "EX", "10"), "OK"},
		{"ttl", "e", nil, 10},
		{"pttl", "e", nil, 10000},
		{"set", "p", a("v"), "OK"},
		{"ttl", "p", nil, -1},
		{"expire", "p", a("5"), 1},
		{"persist", "p", nil, 1},
		{"persist", "p", nil, 0},
		{"expire", "none", a("5"), 0},
		{"setex", "x", a("2", "v"), "OK"},
		{"psetex", "y", a("1500", "v"), "OK"},
		{"sadd", "s", a("m"), 1},
		{"pexpire", "s", a("1000"), 1},
		{"set", "keep", a("v", "PX", "3000"), "OK"},
		{"set", "keep", a("w", "KEEPTTL"), "OK"},
		{"pttl", "keep", nil, 3000},
		{"incr", "cnt", nil, 1},
		{"expire", "cnt", a("2"), 1},
		{"incr", "cnt", nil, 2},
		{"ttl", "cnt", nil, 2},
	})
	c.advance(1500 * time.Millisecond)
	run(t, k, []step{
		{"exists", "y", nil, 0},
		{"get", "y", nil, nil},
		{"smembers", "s", nil, l()},
		{"get", "x", nil, "v"},
		{"ttl", "x", nil, 1},
	})
	c.advance(500 * time.Millisecond)
	run(t, k, []step{
		{"get", "x", nil, nil},
		{"get", "cnt", nil, nil},
		{"incr", "cnt", nil, 1},
		{"ttl", "cnt", nil, -1},
		{"get", "keep", nil, "w"},
	})
	at := c.now().Add(time.Second).Unix()
	run(t, k, []step{
		{"expireat", "keep", a(fmt.Sprint(at)), 1},
		{"pexpireat", "p", a(fmt.Sprint(c.now().UnixMilli() - 1)), 1},
		{"exists", "p", nil, 0},
		{"expire", "keep", a("0"), 1},
		{"exists", "keep", nil, 0},
	})
	keys, _, err := k.List("", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"cnt", "e"}) {
		t.Errorf("list = %q, want the unexpired keys [cnt e]", keys)
	}
}

func TestSweepDeletesExpiredEntries(t *testing.T) {
	t.Parallel()
	k, c, _ := newKeystore(t, keystore.Config{})
	for i := range 1100 { // more than one sweep transaction holds
		if _, err := k.Command(fmt.Sprint("k", i), "setex", a("1", "v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Set("stays", "v"); err != nil {
		t.Fatal(err)
	}
	if n, err := k.Sweep(); n != 0 || err != nil {
		t.Fatalf("sweep before expiry deleted %d, %v", n, err)
	}
	c.advance(time.Second)
	if n, err := k.Sweep(); n != 1100 || err != nil {
		t.Fatalf("sweep deleted %d, %v; want 1100", n, err)
	}
	info, err := k.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Keys != 1 || info.Bytes != keystore.Size("stays", keystore.Encode(&keystore.Entry{Kind: keystore.KindString, Str: "v"})) {
		t.Errorf("usage after sweep = %+v, want one key of its size", info.Usage)
	}
}

func TestLimitsAnswerQuotaExceeded(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{MaxKeys: 3, MaxValueBytes: 10, MaxBytes: 200})
	run(t, k, []step{
		{"set", "a", a("0123456789"), "OK"},
		{"set", "b", a("01234567890"), keystore.ErrQuota},
		{"append", "a", a("x"), keystore.ErrQuota},
		{"setrange", "a", a("100000000", "x"), keystore.ErrQuota},
		{"rpush", "l", a("1234", "5678"), 2},
		{"rpush", "l", a("x"), keystore.ErrQuota},
		{"set", "c", a("v"), "OK"},
		{"set", "d", a("v"), keystore.ErrQuota},
		{"set", "c", a("w"), "OK"},
		{"del", "c", nil, 1},
		{"set", "d", a("v"), "OK"},
		{"get", "a", nil, "0123456789"},
	})
	_, err := k.Command("e", "set", a("v"))
	var ke *keystore.Error
	if !errors.As(err, &ke) {
		t.Fatalf("key limit error = %v, want a *keystore.Error", err)
	}
	if typ, status := ke.ErrorStatus(); typ != "QuotaExceededError" || status != 400 || !strings.Contains(err.Error(), "--keystore-max-keys") {
		t.Errorf("key limit error = %v, want a QuotaExceededError with status 400 naming the flag", err)
	}
	small, _, _ := newKeystore(t, keystore.Config{MaxBytes: 64})
	run(t, small, []step{
		{"set", "a", a(strings.Repeat("x", 40)), "OK"},
		{"set", "b", a(strings.Repeat("x", 40)), keystore.ErrQuota},
		{"set", "a", a("short"), "OK"},
		{"set", "b", a(strings.Repeat("x", 30)), "OK"},
	})
}

func TestListPagesThroughKeysWithCursorAndMatch(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{})
	var want []string
	for i := range 25 {
		key := fmt.Sprintf("user:%02d", i)
		want = append(want, key)
		if err := k.Set(key, "v"); err != nil {
			t.Fatal(err)
		}
		if err := k.Set(fmt.Sprintf("socket:%02d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor, pages := "", 0
	for {
		keys, next, err := k.List("user:*", 10, cursor)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keys...)
		pages++
		if next == "0" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("list user:* in %d pages = %q, want %q in 3", pages, got, want)
	}
	keys, next, _ := k.List("", 0, "")
	if len(keys) != keystore.DefaultListCount || next == "0" {
		t.Errorf("list with no count gave %d keys and cursor %q", len(keys), next)
	}
	if _, _, err := k.List("", 1, "garbage"); !errors.Is(err, keystore.ErrSyntax) {
		t.Errorf("list with a bad cursor: %v", err)
	}
	for p, cases := range map[string]map[string]bool{
		"user:?5":   {"user:05": true, "user:15": true, "user:5": false},
		"*:[0-1]3":  {"user:03": true, "socket:13": true, "user:23": false},
		"*[^k]er:*": {"user:01": true, "socket:01": false},
		`a\*b`:      {"a*b": true, "axb": false},
	} {
		for key, m := range cases {
			if err := k.Set(key, "v"); err != nil {
				t.Fatal(err)
			}
			keys, _, _ := k.List(p, 1000, "")
			if slices.Contains(keys, key) != m {
				t.Errorf("pattern %q matching %q: %v, want %v", p, key, !m, m)
			}
		}
	}
}

func TestClearAndInfo(t *testing.T) {
	t.Parallel()
	k, _, _ := newKeystore(t, keystore.Config{MaxKeys: 50})
	for i := range 5 {
		if err := k.Set(fmt.Sprint(i), "abc"); err != nil {
			t.Fatal(err)
		}
	}
	info, _ := k.Info()
	if info.Keys != 5 || info.MaxKeys != 50 || info.Bytes != 5*(1+9+3) {
		t.Errorf("info = %+v", info)
	}
	if ok, err := k.Delete("0"); !ok || err != nil {
		t.Errorf("delete existing: %v %v", ok, err)
	}
	if ok, _ := k.Delete("0"); ok {
		t.Error("delete of a missing key said it existed")
	}
	if err := k.Clear(); err != nil {
		t.Fatal(err)
	}
	info, _ = k.Info()
	keys, _, _ := k.List("", 100, "")
	if info.Keys != 0 || info.Bytes != 0 || len(keys) != 0 {
		t.Errorf("after clear: %+v, keys %q", info, keys)
	}
	if err := k.Set("again", "v"); err != nil {
		t.Errorf("set after clear: %v", err)
	}
}

func TestEntriesPersistAcrossReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "luagate.db")
	open := func() (*keystore.Keystore, *storage.Store) {
		s, err := storage.Open(path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		k, err := keystore.New(s, keystore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return k, s
	}
	k, s := open()
	run(t, k, []step{
		{"set", "s", a("v"), "OK"},
		{"rpush", "l", a("a", "b"), 2},
		{"sadd", "set", a("x"), 1},
		{"hset", "h", a("f", "v"), 1},
		{"set", "t", a("v", "EX", "3600"), "OK"},
	})
	before, _ := k.Info()
	_ = s.Close()
	k, s = open()
	defer s.Close()
	run(t, k, []step{
		{"get", "s", nil, "v"},
		{"lrange", "l", a("0", "-1"), l("a", "b")},
		{"smembers", "set", nil, l("x")},
		{"hgetall", "h", nil, l("f", "v")},
	})
	if ttl, _ := k.Command("t", "ttl", nil); ttl.(int64) < 3590 {
		t.Errorf("ttl after reopen = %v", ttl)
	}
	if after, _ := k.Info(); after != before {
		t.Errorf("usage after reopen %+v, before %+v", after, before)
	}
}

func TestBadConfigIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := keystore.New(nil, keystore.Config{MaxKeys: -1}); err == nil || !strings.Contains(err.Error(), "max keys") {
		t.Errorf("negative max keys: %v", err)
	}
}

func TestDecodeRefusesDamagedEntries(t *testing.T) {
	t.Parallel()
	good := keystore.Encode(&keystore.Entry{Kind: keystore.KindHash, Hash: map[string]string{"f": "v"}})
	for _, b := range [][]byte{nil, {9, 0, 0, 0, 0, 0, 0, 0, 0}, good[:len(good)-1], append(good[:len(good):len(good)], 1, 'x')} {
		if _, err := keystore.Decode(b); !errors.Is(err, keystore.ErrCorrupt) {
			t.Errorf("Decode(%q) = %v, want ErrCorrupt", b, err)
		}
	}
	e, err := keystore.Decode(good)
	if err != nil || e.Hash["f"] != "v" {
		t.Errorf("Decode(good) = %+v, %v", e, err)
	}
}

func TestRunSweepsOnItsIntervalUntilStopped(t *testing.T) {
	t.Parallel()
	k, c, _ := newKeystore(t, keystore.Config{SweepInterval: 5 * time.Millisecond})
	if _, err := k.Command("gone", "psetex", a("10", "v")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	c.advance(time.Second)
	lgtesting.Eventually(t, "the expired key swept", func() bool {
		info, err := k.Info()
		return err == nil && info.Keys == 0
	})
}
