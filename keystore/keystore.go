package keystore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultMaxKeys       = 100_000
	DefaultMaxValueBytes = 1 << 20
	DefaultMaxBytes      = 256 << 20
	DefaultSweepInterval = time.Second
	// MaxKeyBytes bounds a key.
	MaxKeyBytes = 1024
	// DefaultListCount and MaxListCount bound the keys one list call
	// returns; a call looks at most listScanFactor times as many.
	DefaultListCount = 10
	MaxListCount     = 1000
	listScanFactor   = 100
	// sweepBatch is how many expired entries one sweep transaction deletes.
	sweepBatch = 1000
)

// Config configures a Keystore. A zero field means its default.
type Config struct {
	// MaxKeys bounds the keys stored. Zero means DefaultMaxKeys.
	MaxKeys int64
	// MaxValueBytes bounds one entry's data: a string's bytes, or the
	// items of a list, set or hash with a byte or two of length each.
	// Zero means DefaultMaxValueBytes.
	MaxValueBytes int64
	// MaxBytes bounds all keys and entries together. Zero means
	// DefaultMaxBytes.
	MaxBytes int64
	// SweepInterval is how often Run deletes expired entries. Zero means
	// DefaultSweepInterval.
	SweepInterval time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives sweep failures. Nil means slog.Default().
	Logger *slog.Logger
}

// Keystore runs commands on one solution's Store.
type Keystore struct {
	cfg   Config
	store Store
}

// New returns the keystore kept in s.
func New(s Store, cfg Config) (*Keystore, error) {
	for _, f := range []struct {
		name string
		v    *int64
		def  int64
	}{
		{"max keys", &cfg.MaxKeys, DefaultMaxKeys},
		{"max value bytes", &cfg.MaxValueBytes, DefaultMaxValueBytes},
		{"max bytes", &cfg.MaxBytes, DefaultMaxBytes},
	} {
		if *f.v < 0 {
			return nil, fmt.Errorf("keystore: %s is %d: it must be at least 1 (0 means %d)", f.name, *f.v, f.def)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if cfg.SweepInterval < 0 {
		return nil, fmt.Errorf("keystore: sweep interval %s must not be negative", cfg.SweepInterval)
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Keystore{cfg: cfg, store: s}, nil
}

// Info is the keystore's limits and usage.
type Info struct {
	MaxKeys, MaxValueBytes, MaxBytes int64
	Usage
}

// Info returns the limits and what is stored.
func (k *Keystore) Info() (Info, error) {
	u, err := k.store.KeystoreUsage()
	if err != nil {
		return Info{}, fmt.Errorf("keystore info: %w", err)
	}
	return Info{MaxKeys: k.cfg.MaxKeys, MaxValueBytes: k.cfg.MaxValueBytes, MaxBytes: k.cfg.MaxBytes, Usage: u}, nil
}

// Get returns key's string value. A key that holds a list, set or hash is
// ErrWrongType.
func (k *Keystore) Get(key string) (string, bool, error) {
	v, err := k.Command(key, "get", nil)
	if err != nil {
		return "", false, err
	}
	s, ok := v.(string)
	return s, ok, nil
}

// Set makes key hold the string value, with no expiry.
func (k *Keystore) Set(key, value string) error {
	_, err := k.Command(key, "set", []string{value})
	return err
}

// Delete deletes key and says whether it held anything.
func (k *Keystore) Delete(key string) (bool, error) {
	n, err := k.Command(key, "del", nil)
	return n == int64(1), err
}

// Clear deletes every key.
func (k *Keystore) Clear() error {
	if err := k.store.KeystoreClear(); err != nil {
		return fmt.Errorf("keystore clear: %w", err)
	}
	return nil
}

// List returns up to count keys (DefaultListCount when 0, at most
// MaxListCount) after cursor ("" or "0" for the first) that match the glob
// pattern match ("" for all), in byte order, and the cursor of the next
// call: "0" when there are no more. Keys that are expired are left out.
func (k *Keystore) List(match string, count int, cursor string) ([]string, string, error) {
	switch {
	case count < 0:
		return nil, "", fmt.Errorf("%w: count %d must not be negative", ErrSyntax, count)
	case count == 0:
		count = DefaultListCount
	case count > MaxListCount:
		count = MaxListCount
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	now := k.now()
	keys := []string{}
	last, looked, more := "", 0, false
	err = k.store.KeystoreScan(after, func(key string, expiresAt int64) bool {
		if len(keys) == count || looked == count*listScanFactor {
			more = true
			return false
		}
		looked++
		last = key
		if !expired(expiresAt, now) && (match == "" || globMatch(match, key)) {
			keys = append(keys, key)
		}
		return true
	})
	if err != nil {
		return nil, "", fmt.Errorf("keystore list: %w", err)
	}
	if !more {
		return keys, "0", nil
	}
	return keys, encodeCursor(last), nil
}

// Command runs one of the commands of the command set (commands.go) on
// key, with args, in one transaction. Its result is nil, an int64, a
// string, or a []any of strings and nils.
func (k *Keystore) Command(key, command string, args []string) (any, error) {
	c, ok := commands[strings.ToLower(command)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCommand, command)
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if len(args) < c.min || (c.max >= 0 && len(args) > c.max) {
		return nil, fmt.Errorf("%w for %s: %d", ErrArity, strings.ToLower(command), len(args))
	}
	if !c.write {
		return k.read(key, c, args)
	}
	return k.write(key, c, args)
}

func (k *Keystore) read(key string, c command, args []string) (any, error) {
	b, err := k.store.KeystoreGet(key)
	if err != nil {
		return nil, fmt.Errorf("keystore read %q: %w", key, err)
	}
	x := &call{now: k.now(), maxValue: k.cfg.MaxValueBytes, args: args}
	if err := x.load(b); err != nil {
		return nil, err
	}
	return c.run(x)
}

func (k *Keystore) write(key string, c command, args []string) (any, error) {
	var result any
	err := k.store.KeystoreUpdate(key, func(stored []byte, u Usage) ([]byte, bool, error) {
		x := &call{now: k.now(), maxValue: k.cfg.MaxValueBytes, args: args}
		if err := x.load(stored); err != nil {
			return nil, false, err
		}
		gone := stored != nil && x.e == nil // expired: the write replaces it
		r, err := c.run(x)
		if err != nil {
			return nil, false, err
		}
		result = r
		if !x.dirty && !gone {
			return nil, false, nil
		}
		if x.e == nil || x.e.empty() {
			return nil, stored != nil, nil
		}
		next := Encode(x.e)
		return next, true, k.checkLimits(key, stored, next, u)
	})
	if err != nil {
		var ke *Error
		if errors.As(err, &ke) {
			return nil, err
		}
		return nil, fmt.Errorf("keystore write %q: %w", key, err)
	}
	return result, nil
}

// checkLimits says whether writing next over stored keeps the store within
// its limits.
func (k *Keystore) checkLimits(key string, stored, next []byte, u Usage) error {
	if data := int64(len(next) - headerBytes); data > k.cfg.MaxValueBytes {
		return fmt.Errorf("%w: the value of %q would hold %d bytes; the limit is %d (--keystore-max-value-bytes)", ErrQuota, key, data, k.cfg.MaxValueBytes)
	}
	keys, bytes := u.Keys, u.Bytes+Size(key, next)
	if stored == nil {
		keys++
	} else {
		bytes -= Size(key, stored)
	}
	if stored == nil && keys > k.cfg.MaxKeys {
		return fmt.Errorf("%w: %d keys are stored, the limit (--keystore-max-keys)", ErrQuota, u.Keys)
	}
	if bytes > k.cfg.MaxBytes && bytes > u.Bytes {
		return fmt.Errorf("%w: the keystore would hold %d bytes; the limit is %d (--keystore-max-bytes)", ErrQuota, bytes, k.cfg.MaxBytes)
	}
	return nil
}

// Sweep deletes every expired entry, a batch per transaction, and says how
// many.
func (k *Keystore) Sweep() (int, error) {
	total := 0
	for {
		n, err := k.store.KeystoreExpire(k.now(), sweepBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("keystore sweep: %w", err)
		}
		if n < sweepBatch {
			return total, nil
		}
	}
}

// Run sweeps every Config.SweepInterval until ctx ends.
func (k *Keystore) Run(ctx context.Context) {
	t := time.NewTicker(k.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := k.Sweep(); err != nil {
				k.cfg.Logger.Error("keystore sweep failed", "err", err)
			}
		}
	}
}

func (k *Keystore) now() int64 { return k.cfg.Now().UnixMilli() }

func expired(expiresAt, now int64) bool { return expiresAt != 0 && expiresAt <= now }

func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: a key has 1 to %d bytes, this one %d", ErrBadKey, MaxKeyBytes, len(key))
	}
	return nil
}

// A cursor is the last key a list call looked at, in hex after a "k", so
// that it is a plain token whatever bytes keys hold, and never "0".
func encodeCursor(key string) string { return "k" + hex.EncodeToString([]byte(key)) }

func decodeCursor(c string) (string, error) {
	if c == "" || c == "0" {
		return "", nil
	}
	key, err := hex.DecodeString(strings.TrimPrefix(c, "k"))
	if err != nil || !strings.HasPrefix(c, "k") {
		return "", fmt.Errorf("%w: cursor %q is not one list returned", ErrSyntax, c)
	}
	return string(key), nil
}
