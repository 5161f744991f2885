// Package keystore is the solution's key-value service, as scripts reach it
// through the Keystore module: strings, counters, lists, sets and hashes
// under string keys, each of which may expire, with the command set and
// result shapes of the platform's Keystore service (itself a subset of
// Redis's commands on one key).
//
// # Model
//
// A key holds one Entry: a string, a list, a set or a hash, and the time it
// expires (none by default). An expired entry is absent to every command
// from the millisecond it expires; the sweeper (Keystore.Run) deletes it
// from the store later. A list, set or hash left empty by a command is
// deleted, as in Redis. Entries are encoded by this package (Encode,
// Decode); a Store keeps the bytes.
//
// # Transactions
//
// Every command is one call of Store.Update or Store.Get: a read sees one
// state, a write reads the entry, changes it and writes it back atomically,
// with the limits checked against the totals in the same transaction. A
// Store may run the function it is given more than once (one with
// optimistic concurrency retries it on a conflict), so the command's
// function computes from its arguments only.
//
// # Limits
//
// Config.MaxKeys, MaxValueBytes and MaxBytes bound the number of keys, the
// size of one entry's data, and the bytes of all keys and entries together.
// A write past one fails with an *Error whose type is QuotaExceededError
// and changes nothing.
//
// # Imports
//
// keystore imports nothing of luagate: storage implements Store on bbolt,
// luaapi reaches a Keystore through an interface of its own, and gateway
// wires them. A cluster implements Store on a JetStream key-value bucket,
// with Update a compare-and-set loop on the key's revision.
package keystore
