package storage

import "errors"

// Sentinel errors. Every error the package returns wraps at most one of
// them, with the file name and the operation added, so callers branch with
// errors.Is and still print something a person can act on.
var (
	// ErrLocked means Open gave up waiting for the file lock: another luagate
	// process (or another Store in this one) has the database open, and two
	// writers would corrupt it.
	ErrLocked = errors.New("another luagate process holds the database file")

	// ErrCorrupt means the file exists but cannot be read as a luagate
	// database: it is not bbolt, is truncated, or holds values this package
	// did not write. Nothing has been written to it; keep it for inspection.
	ErrCorrupt = errors.New("database file is corrupt or not a luagate database")

	// ErrClosed means the Store was used after Close. It is a programming
	// error in the caller, reported rather than panicking so shutdown races
	// stay harmless.
	ErrClosed = errors.New("store is closed")
)
