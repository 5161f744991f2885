// Package storage persists a luagate solution in a bbolt file.
//
// Buckets and keys:
//
//	endpoints      path -> JSON {"script", "updated_at"}
//	modules        module name -> Lua source
//	eventhandlers  handler name -> Lua source
//	meta           "revision" -> 8-byte big-endian counter, "schema" -> "1"
//
// One transaction covers one whole solution: Save deletes and rewrites the
// three content buckets and bumps the revision in a single bbolt Update, so
// a crash leaves the old solution or the new one, never a mix. Values read
// in a transaction are copied out before it ends.
//
// storage imports scripts and nothing else of luagate.
package storage
