package keystore

// Usage is what a solution's keystore holds.
type Usage struct {
	// Keys counts the stored keys, expired ones not yet swept among them.
	Keys int64
	// Bytes is the Size of every stored key and entry.
	Bytes int64
}

// UpdateFunc decides a key's new encoded entry from its stored one (nil
// when the key holds nothing) and the store's usage, both as of the
// transaction it runs in. It answers the new entry (nil deletes the key)
// and whether to write at all; an error aborts the transaction and is
// returned by Update as it is.
type UpdateFunc func(stored []byte, u Usage) (next []byte, write bool, err error)

// Store keeps the encoded entries of one solution, the totals of Usage,
// and an index of expiry times. Its methods are safe for concurrent use.
// The byte slices it hands out are the caller's, and it does not keep
// those it is given.
type Store interface {
	// KeystoreGet returns key's stored entry, or nil.
	KeystoreGet(key string) ([]byte, error)
	// KeystoreUpdate runs fn in one transaction and writes what it
	// answers, keeping Usage and the expiry index (read with ExpiresAt)
	// in step. fn may run more than once.
	KeystoreUpdate(key string, fn UpdateFunc) error
	// KeystoreScan calls fn for stored keys in byte order, starting after
	// the key after ("" for the first), with each entry's expiry, until fn
	// answers false or the keys end. It reads one consistent state.
	KeystoreScan(after string, fn func(key string, expiresAt int64) bool) error
	// KeystoreUsage returns the totals.
	KeystoreUsage() (Usage, error)
	// KeystoreClear deletes every key.
	KeystoreClear() error
	// KeystoreExpire deletes at most max entries whose expiry is at or
	// before now (Unix milliseconds), in one transaction, and says how
	// many it deleted.
	KeystoreExpire(now int64, max int) (int, error)
}
