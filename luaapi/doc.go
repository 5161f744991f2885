// Package luaapi is everything a Lua script in luagate can see: the
// sandboxed standard library, the websocketInfo table (an HTTP endpoint's
// request and response tables instead, for its script), the Websocket and
// Push modules, JSON, print and require.
//
// # Isolation
//
// A VM wraps one lua.LState, which runs one execution at a time for any
// endpoint. Nothing one execution can reach may be shared with another
// unless it is immutable, and nothing may outlive the execution. Every
// value a script can reach is one of these (STYLE.md rule 17; a value
// added to the API goes here and into isolation_test.go, whose walk of
// everything reachable fails on a table it cannot classify):
//
// Rebuilt, or refilled, for each execution:
//   - the global table (_G): empty but for _G, its metatable reading
//     through to the base;
//   - websocketInfo, its headers and parameters, and response;
//   - an HTTP endpoint's request, its headers and parameters, and its
//     response and response.headers (request.go: request, response and
//     response.headers are refilled and emptied after the execution; the
//     request's headers and parameters are built for it);
//   - what the functions return: tables from Websocket.info and list, from
//     the Push functions, the values Websocket.request decodes from a
//     reply, the tables of Files.put and Files.list,
//     from_json and json.decode, os.date("*t"), string.gmatch's iterator,
//     coroutines, the values of modules require runs, and every table a
//     Keystore function returns;
//   - what the global modules make: they run at the start of each
//     execution, in its environment (require.go), so their locals, the
//     closures over them and the globals they set are the execution's.
//
// Immutable, and shared by every execution on the state:
//   - the library tables string, table, math, os, coroutine, Websocket,
//     Keystore, Push, Files, json and bench: each an empty proxy whose protected
//     metatable reads through to the library. coroutine, Websocket,
//     Keystore, Push, Files, json and bench refuse assignment; string, table, math and
//     os take it into the proxy itself, where it shadows the library for
//     that execution, as platform modules extend them. rawset,
//     table.insert and table.remove can write into any proxy too; scrub
//     empties the proxies after an execution that wrote into one;
//   - the globals of the platform services luagate does not provide
//     (platform.go): empty tables whose protected metatable raises on
//     every read and write; scrub empties them after a rawset;
//   - a program's Env, which os.getenv reads and nothing writes;
//   - the libraries behind the proxies and the base behind _G, which a
//     script reads through __index and never holds: they hold only
//     functions, strings, numbers and proxies;
//   - the functions of the libraries and of websocketInfo (send and close
//     act on the execution running when they are called): Go functions,
//     which have no fields, and whose environment no script can reach, as
//     getfenv, setfenv, module and debug are absent;
//   - strings, numbers, booleans and nil. Strings have luagate's own
//     metatable, not gopher-lua's (which is the string library itself): its
//     __index is the string proxy, and getmetatable("") answers false. No
//     other type has a metatable, and setmetatable takes tables only, as in
//     Lua 5.1: gopher-lua would keep a number's or a function's metatable
//     in the state, for every later execution.
//
// So an execution can leave nothing where a later one could find it, and
// a closure or coroutine it makes is unreachable once it ends. For speed a
// VM refills its environment, websocketInfo, headers, parameters and
// response tables rather than building them per event; a table an
// execution may have added keys to is replaced instead (reuse.go says how
// a VM knows, reuse_test.go and isolation_test.go check it), and what a
// script assigned to the keys luagate sets is put back when it ends. What a
// pooled state carries from one execution to the next is therefore
// invisible to scripts and holds nothing of theirs: compiled functions of
// the base, the string metatable, the refilled tables holding luagate's
// values (the last event's message among them), and buffers gopher-lua
// keeps. The call frames gopher-lua leaves in its stack are cleared after
// each execution (frames.go), as they would keep the functions last called
// alive. websocketInfo.policy and websocketInfo.auth (with its claims) are
// immutable to scripts (read-only proxies with a protected metatable) and
// are rebuilt when an execution wrote into one with rawset (policy.go,
// identity.go; policy_test.go, identity_test.go and isolation_test.go
// check them). user_id and session_name are strings. websocketInfo.groups,
// on a close event only, is a table built for that execution (groups.go);
// the tables Websocket.presence, members, groups and list return are built
// per call.
//
// # Limits
//
// A script's output is bounded: a line of print, and the message and
// traceback of a failed execution, are cut at MaxLogLine; print and
// LogFailure, with which the host logs failed executions, are limited to
// SocketLogRate lines per second per socket and EndpointLogRate per
// endpoint, shared through a ScriptLog (log.go). With Options.KeepOutput
// the lines print lets through are also kept for the host (VM.Output), a
// slice of the last execution's own that no script can reach. An
// execution may create MaxCoroutines coroutines.
//
// The Keystore module is the one place executions share data on purpose:
// the solution's key-value store, which every endpoint of the solution
// reads and writes, as on the platform. Only strings cross it, copied in
// and out, so no Lua value of one execution reaches another through it.
//
// # Waiting
//
// Websocket.request and Websocket.send{wait=true} wait for a client in Go,
// holding the execution's Lua state. The wait moves the execution's
// deadline by its length (deadline.extend), so it does not count towards
// the script timeout, and a WaitLimit shared by every VM of a gateway
// bounds how many executions wait at once. An execution stopped while it
// waits (shutdown, the watchdog) stops waiting at once.
//
// Websocket.send to a socket id made as a statement (the caller takes no
// result: lua.LState.WantedResults is 0) goes to Poster.Post when Sockets
// is one: nobody reads its error, so a socket on another node need not
// answer before the script goes on.
//
// luaapi never imports runtime: it declares the small interfaces it needs
// (Sockets, Poster, Peer, Keystore, Pusher, Requests, Files); hub, runtime
// and files implement them.
package luaapi
