package scripts

import (
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// Limits every solution is held to, whoever deploys it. They keep a deploy's
// time and memory proportional to its size: gopher-lua's parser and compiler
// spend time and memory superlinear in how deeply a script nests, and every
// compiled function and every endpoint costs memory of its own. The size of
// one script is bounded by the server (endpoints.Config.MaxScriptBytes),
// since it is a setting; these are not.
const (
	// MaxEndpoints is the most endpoints one solution may declare.
	MaxEndpoints = 10_000
	// MaxModules is the most modules one solution may declare.
	MaxModules = 10_000
	// MaxNameBytes bounds an endpoint path and a module name. Both are keys
	// in the database, whose own limit is 32 KiB. It leaves room for the 255
	// parameters the router can bind in one path.
	MaxNameBytes = 2048
	// MaxSyntaxDepth bounds how deeply a script nests: brackets and blocks,
	// and the operands of one chain of operators (a .. b .. c), each count
	// a level, as gopher-lua's compiler recurses into each. Lua 5.1 has the
	// same limit of 200 "syntax levels".
	MaxSyntaxDepth = 200
	// MaxFunctions is the most functions (the chunk itself, each function
	// body and each closure) one script may define: gopher-lua's compiler
	// sets aside about 18 KiB for each while it compiles a script.
	MaxFunctions = 2000
)

// maxEchoBytes bounds how much of a name or token a message repeats: an
// input over its limit may be megabytes long.
const maxEchoBytes = 96

// Elide returns s when it is short, or else its first bytes followed by its
// length, so that an error message about an input of any size stays short.
func Elide(s string) string { return Truncate(s, maxEchoBytes) }

// Truncate returns s when it has at most n bytes, or else its first n bytes
// or fewer (cut at a character boundary) followed by its length.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:cut], len(s))
}

// CheckSizes refuses a solution with a script of more than maxScript bytes,
// naming each, or with more than maxTotal bytes of scripts in all. The
// sizes are a server's settings, so Compile does not check them.
func CheckSizes(sol Solution, maxScript, maxTotal int64) error {
	var problems Problems
	var total int64
	check := func(file, src string) {
		total += int64(len(src))
		if int64(len(src)) > maxScript {
			problems = append(problems, Problem{File: Elide(file), Message: fmt.Sprintf(
				"script of %d bytes: over the limit of %d bytes per script", len(src), maxScript)})
		}
	}
	for _, e := range sol.Endpoints {
		check(e.Path, e.Script)
	}
	for _, name := range slices.Sorted(maps.Keys(sol.Modules)) {
		check(name, sol.Modules[name])
	}
	for _, name := range slices.Sorted(maps.Keys(sol.EventHandlers)) {
		check(name, sol.EventHandlers[name])
	}
	if total > maxTotal {
		problems = append(problems, Problem{Message: fmt.Sprintf(
			"%d bytes of scripts: over the limit of %d bytes in a solution", total, maxTotal)})
	}
	return problems.orNil()
}
