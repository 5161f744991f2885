// Package files keeps the temporary files of live sockets: each socket's
// session directory, which scripts and systems outside share with it
// until it closes, and files placed for download by anyone holding their
// public link until the link expires.
//
// Layout, under Config.Dir (<data-dir>/files): sessions/<socket_id>/<name>
// holds session files, links/<token>/<name> linked files, tmp/ files being
// written, each renamed into place once whole so that no reader sees half
// of one. What links exist and when they expire is kept in memory: a
// restart removes everything under Dir, as every socket and link of the
// last run is gone.
//
// Every name is one path element, checked before any path is built, and
// every path is checked again to stay inside Dir once cleaned. Quotas
// count the bytes of every file a socket has (its session files and its
// links that have not expired) and of all files together.
//
// Concurrency. Store's mutex guards its accounting and the links; it is a
// leaf, and is not held while a file's content is written or read: a
// put reserves its bytes first, writes, then renames under the lock. One
// goroutine, started by Open and stopped by Close, sweeps expired links
// and the session directories of sockets no longer open.
//
// files imports luaapi only for the types of the Files interface it
// implements; it knows nothing of sockets but whether one is open
// (Config.Open).
package files
