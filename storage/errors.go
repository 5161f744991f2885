package storage

import "errors"

// Sentinel errors, for errors.Is.
var (
	// ErrLocked means another process has the database file open.
	ErrLocked = errors.New("database is locked by another luagate process")
	// ErrCorrupt means the file is not a readable luagate database.
	ErrCorrupt = errors.New("database file is corrupt or not a luagate database")
	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("store is closed")
)
