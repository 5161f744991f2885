package luaapi

import (
	lua "github.com/yuin/gopher-lua"
)

// Every limit on what one call of a built-in function may build or how long
// it may run. gopher-lua checks an execution's deadline between VM
// instructions only, and luagate's memory watchdog acts between them too,
// so a single call must bound itself: each of these checks its size before
// allocating and raises a script error naming the limit, and the
// long-running ones check the deadline as they go. README.md's table of
// limits lists the same.
const (
	// MaxStringBytes is the largest string a built-in builds: string.rep,
	// gsub, format, table.concat and os.date.
	MaxStringBytes = 16 << 20
	// MaxPatternSubject is the longest string the pattern functions
	// (string.find, match, gmatch, gfind, gsub) search; a plain
	// string.find (fourth argument true, or no special characters) takes
	// any. The matcher checks the deadline, so this bounds no time, but it
	// keeps a pathological pattern's work per step small.
	MaxPatternSubject = 64 << 10
	// MaxCaptures is how many captures a pattern may have (Lua's
	// LUA_MAXCAPTURES).
	MaxCaptures = 32
	// MaxPatternDepth bounds the matcher's recursion, one level per
	// capture and per repeated or optional item that is still being tried
	// (Lua 5.2's MAXCCALLS). A deeper pattern is "too complex".
	MaxPatternDepth = 200
	// MaxJSONDepth is how deeply to_json and from_json nest arrays and
	// objects; a cyclic table fails as nested too deeply.
	MaxJSONDepth = 1000
	// MaxJSONBytes is the longest text to_json produces.
	MaxJSONBytes = 16 << 20
	// MaxJSONDecodedBytes bounds, roughly, the memory of the Lua values
	// from_json builds: a document of empty arrays takes some 40 times its
	// size.
	MaxJSONDecodedBytes = 64 << 20
	// MaxUnpack is how many values unpack may return at once; gopher-lua's
	// value stack holds no more (registryMaxSize).
	MaxUnpack = registryMaxSize / 2
	// MaxArrayGap is how far past the end of a table's array part an
	// integer key may extend it; a key further out is kept in the hash
	// part (see third_party/gopher-lua/PATCHES.md).
	MaxArrayGap = lua.MaxArrayGap
)

// Limits of one Lua state. The registry (gopher-lua's value stack) may grow
// to registryMaxSize; past that a script gets a clean error instead of the
// process growing without bound. It grows in large steps because each step
// copies it whole.
const (
	callStackSize    = 200
	registrySize     = 1024 * 4
	registryMaxSize  = 1024 * 256
	registryGrowStep = 16 * 1024
)

// deadlineCheckSteps is how many steps of work a long-running built-in
// does between checks of the deadline: a few tens of microseconds.
const deadlineCheckSteps = 1 << 12

// stopIfDone raises the error of the execution's context once it has
// ended, as gopher-lua does between instructions, so that the execution
// stops with its timeout (or whatever ended it) from inside a built-in.
// It only reads the context: deriving one from it would keep the VM from
// reusing it (see deadline.go).
func stopIfDone(L *lua.LState) {
	if ctx := L.Context(); ctx != nil {
		if err := ctx.Err(); err != nil {
			L.RaiseError("%s", err.Error())
		}
	}
}
