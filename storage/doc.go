// Package storage persists the deployed luagate solution in one bbolt file,
// so a restarted gateway serves what was last deployed.
//
// # What it owns
//
// The database file and its layout. Nothing else reads or writes the file;
// the rest of luagate sees only scripts.Solution values and a revision number.
//
// # Buckets and keys
//
//	endpoints      endpoint key  -> JSON {"script": "...", "updated_at": RFC 3339,
//	                                      "content_type": "..." (HTTP only, absent when none)}
//	                                (the path for a WebSocket endpoint, "GET /path" for an HTTP one)
//	modules        module name   -> Lua source
//	eventhandlers  handler name  -> Lua source
//	meta           "revision"    -> 8-byte big-endian uint64, bumped by every Save
//	               "schema"      -> "1"
//	               "config"      -> JSON of scripts.Config, absent when empty
//	               "webservice"  -> JSON of scripts.Webservice, absent when empty
//	               "env"         -> JSON of the environment's values, absent when none
//	               "env_schema"  -> JSON of scripts.EnvSchema, absent when none
//	               "init"        -> the init script, absent when none
//	               "sessions"    -> 8-byte big-endian count of the sessions bucket
//	keys           key id        -> JSON of auth.Key (the secret's SHA-256, never the secret)
//	keyhashes      SHA-256       -> key id, to find a presented secret's key
//	sessions       8-byte big-endian connected_at (Unix ns) + socket id
//	                             -> JSON of a closed session (session.Record)
//	sessionids     socket id     -> its key in sessions
//	keystore       Keystore key  -> the entry, as keystore.Encode writes it
//	keystoreexpiry 8-byte big-endian expiry (Unix ms) + key -> empty, one per entry that expires
//	keystoreusage  "keys", "bytes" -> 8-byte big-endian totals of the keystore bucket
//	pushmessages   message id    -> JSON of push.Message
//	pushbyrecipient recipient NUL + 8-byte created_at (Unix ns) + id -> empty
//	pushbytime     8-byte created_at + id -> empty
//	pushpending    recipient NUL + created_at + id -> empty, PENDING only
//	pushexpiry     8-byte deadline (expires_at, or created_at + push.NoExpiryGrace) + id -> empty, PENDING only
//	pushfinished   8-byte delivered/cancelled/expired time + id -> empty
//	pushcounts     recipient     -> 8-byte count of its PENDING messages (the cap; their sum is push_pending)
//	pushglobals    global id     -> JSON of push.Global
//	pushglobalbytime  created_at + global id -> empty
//	pushglobalexpiry  expires_at + global id -> empty, for those with one
//	pushglobalclaims  global id NUL recipient -> the recipient's copy's id
//	pushtokens     SHA-256 of a push token -> JSON of auth.PushToken
//	pushtokensbyrecipient recipient NUL SHA-256 -> empty
//
// The push buckets are created by the first push write. A push's messages
// and their indexes and counts are one transaction, as is each status
// change with its index moves (a compare-and-set from PENDING), a batch
// of deliveries, a global copy and its claim, and one sweep batch.
// Recipients hold no NUL byte (push refuses them), so a recipient's keys
// are a prefix of their own.
//
// The key, session and Keystore buckets are created by the first key,
// session or Keystore write and are not part of a solution: Save leaves
// them alone. A Keystore command is one transaction, which writes the
// entry, its expiry index entry and the totals together; a sweep deletes
// up to a batch of expired entries in one. Adding or
// removing a key, with its hash, is one transaction. Sessions are keyed so
// that bbolt's byte order is oldest connection first: a page walks back
// from a cursor, and the history is trimmed from the front. A batch of
// sessions, the trim to the history's size and the count are one
// transaction.
//
// UpdatedAt lives only here: scripts.Endpoint does not serialise it, and
// Save decides it (kept when the script is byte-identical to the stored one,
// otherwise the time of the Save, in UTC, to the millisecond).
//
// # Transactions
//
// One transaction covers one whole solution. Save writes the values of the
// three content buckets that differ from what its last commit left there
// (all of them, after reading the file, on the first Save), deletes the
// keys the new solution lacks and bumps the revision in a single bbolt
// Update; SaveRevision deletes and recreates the buckets instead. A crash
// leaves the old solution or the new one, never a mix, and a reader never
// sees a half-written deploy. Load reads the
// solution and revision in a single View. bbolt's byte slices are valid only
// inside their transaction, so every key and value is copied into a Go
// string before the transaction ends.
//
// # Opening
//
// bbolt takes an exclusive flock on the file. A second gateway on the same
// data directory waits the timeout given to Open and then fails with
// ErrLocked, instead of sharing a file that two writers would corrupt.
//
// Open reads the whole solution once, so a damaged file fails at startup with
// ErrCorrupt rather than at the first deploy, and nothing is written to a
// file before it has been read successfully. bbolt reads the file through
// mmap and panics on some malformed pages, or faults on pages past the end of
// a truncated file; Open turns both into ErrCorrupt. An existing file is
// first read through a read-only handle, because a failure inside bbolt's
// read-write open can leave the file's lock held until the process exits.
//
// # Imports
//
// storage imports scripts, auth (whose KeyStore it implements), session
// (whose Store it implements) and push (whose MessageStore and TokenStore
// it implements), and nothing else of luagate: nothing of
// sockets or Lua. runtime never imports storage.
package storage
